package dev.llmmeter.app.it;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.DeltaEventCodec;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Node example ({@code clients/node/produce.js}, kafkajs), run by {@code /usr/bin/node} against the embedded
 * broker: every event is on the partition Java's default partitioner picks for its key, and decodes by the contract's
 * codec to exactly the events the example promises, in order.
 */
class NodeProducerIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    static final Path CLIENT = Path.of("..", "clients", "node").toAbsolutePath().normalize();
    static final String NODE = "/usr/bin/node";
    private static final Duration LOADED = Duration.ofSeconds(90); // a bound for a loaded 2-core machine, not an expectation
    private static final int PARTITIONS = 6;
    private static final int STREAMS = 24;
    private static final int TOKENS = 5;
    private static final long START = 1_790_000_000_000L;

    @Test
    @DisplayName("kafkajs' events land on Java's partition for their key and are the contract's events, in order")
    void eventsLandOnJavasPartitionsAndAreValid() throws Exception {
        assertTrue(Files.isExecutable(Path.of(NODE)), NODE + " is needed (Debian's nodejs; .ci/run installs it)");
        assertTrue(Files.isDirectory(CLIENT.resolve("node_modules/kafkajs")), "run `npm ci` in " + CLIENT + " first (.ci/run does)");
        String topic = Topics.DELTAS.name();
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }

        ServiceProcess.Run node = ServiceProcess.external(CLIENT, Map.of("BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "START_MS", String.valueOf(START), "STREAMS", String.valueOf(STREAMS)), Duration.ofMinutes(2), List.of(NODE, "produce.js"));
        String output = node.out();
        assertEquals(0, node.exit(), "node produce.js failed:\n" + output);
        int total = STREAMS * (TOKENS + 2);
        // kafkajs logs the retries of a broker still starting (e.g. its transaction coordinator loading) before this line
        assertTrue(output.endsWith("published " + total + " events of " + STREAMS + " streams to " + topic + "\n"), output);

        List<ConsumerRecord<String, byte[]>> records = readAll(topic, total);
        Map<String, List<DeltaEvent>> byStream = new HashMap<>();
        TreeSet<Integer> partitionsUsed = new TreeSet<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            byte[] key = r.key().getBytes(StandardCharsets.UTF_8);
            assertEquals(Utils.toPositive(Utils.murmur2(key)) % PARTITIONS, r.partition(), "Java's partition for " + r.key());
            DeltaEvent e = DeltaEventCodec.decode(r.value()); // throws for anything the meter would dead-letter
            assertEquals(r.key(), e.streamId(), "keyed by its stream id");
            byStream.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(e);
            partitionsUsed.add(r.partition());
        }
        assertTrue(partitionsUsed.size() > 1, "spread over partitions: " + partitionsUsed);
        for (int i = 0; i < STREAMS; i++) {
            String id = "node-" + i;
            List<DeltaEvent> expected = new ArrayList<>();
            expected.add(DeltaEvent.begin(id, START, "llama-3.1-70b", "acme"));
            IntStream.rangeClosed(1, TOKENS).forEach(n -> expected.add(DeltaEvent.output(id, START + 200 + (n - 1) * 50L, n)));
            expected.add(DeltaEvent.end(id, START + 200 + TOKENS * 50L, TOKENS, 120));
            assertEquals(expected, byStream.get(id), "stream " + id + ", in order");
        }
    }

    private static List<ConsumerRecord<String, byte[]>> readAll(String topic, int count) {
        Map<String, Object> config = new HashMap<>(kafka.clientConfig());
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = IntStream.range(0, PARTITIONS).mapToObj(i -> new TopicPartition(topic, i)).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            await("all " + count + " events").atMost(LOADED).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= count;
            });
        }
        assertEquals(count, records.size(), "no event twice");
        return records;
    }
}
