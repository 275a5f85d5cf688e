package dev.llmmeter.app.it;

import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.app.MeteringApp;
import dev.llmmeter.contract.DeadLetterHeaders;
import dev.llmmeter.contract.DeadLetterReason;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.topology.processors.MeteringMetrics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Bad input on the real topic: each reason reaches the DLQ topic with its headers and is counted once under its reason;
 * the stats do not notice.
 */
class DeadLetterIntegrationIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    @Test
    void everyReasonReachesTheDeadLetterTopicAndStatsAreUnaffected(@TempDir Path state) throws Exception {
        long t = System.currentTimeMillis();
        Map<DeadLetterReason, String[]> bad = new LinkedHashMap<>(); // reason -> {key, value}
        bad.put(DeadLetterReason.MALFORMED_JSON, new String[] {"s", "{nope"});
        bad.put(DeadLetterReason.NOT_AN_OBJECT, new String[] {"s", "[1]"});
        bad.put(DeadLetterReason.MISSING_TYPE, new String[] {"s", "{\"stream_id\":\"s\"}"});
        bad.put(DeadLetterReason.UNKNOWN_TYPE, new String[] {"s", "{\"type\":\"start\",\"stream_id\":\"s\"}"});
        bad.put(DeadLetterReason.MISSING_STREAM_ID, new String[] {"s", "{\"type\":\"begin\"}"});
        bad.put(DeadLetterReason.INVALID_STREAM_ID, new String[] {"", "{\"type\":\"begin\",\"stream_id\":\"\"}"});
        bad.put(DeadLetterReason.MISSING_KEY, new String[] {null, "{\"type\":\"begin\",\"stream_id\":\"s\"}"});
        bad.put(DeadLetterReason.KEY_MISMATCH, new String[] {"x", "{\"type\":\"begin\",\"stream_id\":\"s\"}"});
        bad.put(DeadLetterReason.INVALID_TS, new String[] {"s", "{\"type\":\"begin\",\"stream_id\":\"s\",\"ts\":-5}"});
        // an hour ahead of the meter's clock: a producer with a wrong clock
        bad.put(DeadLetterReason.FUTURE_TS, new String[] {"s", "{\"type\":\"begin\",\"stream_id\":\"s\",\"ts\":" + (t + 3_600_000) + "}"});
        bad.put(DeadLetterReason.MISSING_COUNT, new String[] {"s", "{\"type\":\"output\",\"stream_id\":\"s\"}"});
        bad.put(DeadLetterReason.INVALID_COUNT, new String[] {"s", "{\"type\":\"output\",\"stream_id\":\"s\",\"running\":1.5}"});

        try (MeteringApp app = LiveApps.startRunning(LiveApps.settings(kafka.bootstrapServers(), kafka.clientConfig(), "dlq", state, 1));
             StatsCollector collector = new StatsCollector(kafka.bootstrapServers(), kafka.clientConfig());
             KafkaProducer<byte[], byte[]> producer = producer()) {
            Map<DeadLetterReason, RecordMetadata> sentAt = new HashMap<>();
            send(producer, "ok", "{\"type\":\"begin\",\"stream_id\":\"ok\",\"ts\":" + t + "}");
            send(producer, "ok", "{\"type\":\"output\",\"stream_id\":\"ok\",\"ts\":" + (t + 1000) + ",\"running\":1}");
            for (Map.Entry<DeadLetterReason, String[]> e : bad.entrySet()) {
                sentAt.put(e.getKey(), send(producer, e.getValue()[0], e.getValue()[1]));
            }
            send(producer, "ok", "{\"type\":\"output\",\"stream_id\":\"ok\",\"ts\":" + (t + 3000) + ",\"running\":41}");

            List<ConsumerRecord<byte[], byte[]>> dead = readDeadLetters(bad.size());
            assertEquals(bad.size(), dead.size());
            for (ConsumerRecord<byte[], byte[]> r : dead) {
                DeadLetterReason reason = DeadLetterReason.valueOf(header(r, DeadLetterHeaders.REASON).toUpperCase());
                String[] original = bad.get(reason);
                assertArrayEquals(original[0] == null ? null : original[0].getBytes(StandardCharsets.UTF_8), r.key(), reason.wireName());
                assertArrayEquals(original[1].getBytes(StandardCharsets.UTF_8), r.value(), reason.wireName());
                assertEquals(Topics.DELTAS.name(), header(r, DeadLetterHeaders.SOURCE_TOPIC));
                assertEquals(String.valueOf(sentAt.get(reason).partition()), header(r, DeadLetterHeaders.SOURCE_PARTITION));
                assertEquals(String.valueOf(sentAt.get(reason).offset()), header(r, DeadLetterHeaders.SOURCE_OFFSET));
                assertEquals(false, header(r, DeadLetterHeaders.DETAIL).isBlank());
            }
            // each counted under its reason on the live app's stream thread (what /metrics bridges); the reasons not sent at 0
            Map<String, Long> counted = new TreeMap<>();
            Map<String, Long> expected = new TreeMap<>();
            for (DeadLetterReason reason : DeadLetterReason.values()) {
                counted.put(reason.wireName(), MeteringMetrics.total(app.streams().metrics(), MeteringMetrics.DEAD_LETTERS,
                        Map.of(MeteringMetrics.REASON_TAG, reason.wireName())));
                expected.put(reason.wireName(), bad.containsKey(reason) ? 1L : 0L);
            }
            assertEquals(expected, counted);
            // 41 tokens over 2 s; active 1: the bad records changed nothing.
            Stats s = collector.await(x -> x.tps() != null && x.tps() == 20.5, Duration.ofSeconds(30), "with tps 20.5");
            assertEquals(1, s.active());
        }
    }

    private static RecordMetadata send(KafkaProducer<byte[], byte[]> p, String key, String value) throws Exception {
        return p.send(new ProducerRecord<>(Topics.DELTAS.name(), key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8))).get();
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.putAll(kafka.clientConfig());
        p.put("bootstrap.servers", kafka.bootstrapServers());
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static List<ConsumerRecord<byte[], byte[]>> readDeadLetters(int expected) {
        Properties p = new Properties();
        p.putAll(kafka.clientConfig());
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.assign(List.of(new TopicPartition(Topics.DEAD_LETTERS.name(), 0)));
            c.seekToBeginning(c.assignment());
            await(expected + " dead letters").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10))
                    .pollInSameThread() // the consumer is for one thread
                    .until(() -> {
                        c.poll(Duration.ofMillis(200)).forEach(out::add);
                        return out.size() >= expected;
                    });
        }
        return out;
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
