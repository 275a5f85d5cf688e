package dev.llmmeter.app.it;

import dev.llmmeter.app.StatsTail;
import dev.llmmeter.app.TailCommand;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code tail --group GROUP --json} on a broker: a read_committed consumer without a group prints exactly that
 * group's insights records, as published, each tick once; other groups, aborted records and repeats are not printed.
 */
class TailGroupIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    static String insight(long ts, String group, String name, int active) {
        return "{\"ts\":" + ts + ",\"group\":\"" + group + "\",\"name\":" + (name == null ? "null" : "\"" + name + "\"")
                + ",\"active\":" + active + ",\"tps\":" + (active == 0 ? "null" : "41.5") + ",\"system_tps\":" + (active * 10.0)
                + ",\"ttft_ms\":{\"p50\":210.4,\"p90\":388.0,\"p99\":950.1,\"count\":" + active + "},\"itl_ms\":null,\"started\":"
                + active + ",\"ended\":0}";
    }

    @Test
    void groupJsonPrintsExactlyThatGroupsCommittedRecordsEachTickOnce() throws Exception {
        kafka.createTopic(Topics.INSIGHTS.name(), 1);
        long t = (System.currentTimeMillis() / 1000 - 10) * 1000;
        Properties p = new Properties();
        p.putAll(kafka.clientConfig());
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tail-group-test");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (long ts : new long[] {t, t + 1000}) {
                send(producer, ts, "global", insight(ts, "global", null, 3));
                send(producer, ts, "model:m1", insight(ts, "model", "m1", 2));
                send(producer, ts, "model:m10", insight(ts, "model", "m10", 1)); // a name that starts like m1
                send(producer, ts, "tenant:m1", insight(ts, "tenant", "m1", 3)); // the same name, another breakdown
            }
            producer.commitTransaction();
            producer.beginTransaction();
            send(producer, t + 2000, "model:m1", insight(t + 2000, "model", "m1", 9));
            producer.flush();
            producer.abortTransaction(); // read_committed: never shown
            producer.beginTransaction();
            send(producer, t + 1000, "model:m1", insight(t + 1000, "model", "m1", 2)); // at-least-once repeat
            send(producer, t + 3000, "global", insight(t + 3000, "global", null, 0));
            send(producer, t + 3000, "model:m1", insight(t + 3000, "model", "m1", 0));
            producer.commitTransaction();
        }

        Properties settings = new Properties();
        settings.putAll(kafka.clientConfig());
        settings.put("bootstrap.servers", kafka.bootstrapServers());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long printed;
        try (StatsTail tail = new StatsTail(settings, null, Topics.INSIGHTS.name())) {
            tail.seekToLast(60, Duration.ofSeconds(30));
            printed = TailCommand.printGroup(tail, new PrintStream(bytes, true, StandardCharsets.UTF_8), true, "model:m1", 3);
        }
        assertEquals(3, printed);
        assertEquals(List.of(insight(t, "model", "m1", 2), insight(t + 1000, "model", "m1", 2), insight(t + 3000, "model", "m1", 0)),
                bytes.toString(StandardCharsets.UTF_8).lines().toList());
    }

    private static void send(KafkaProducer<String, String> producer, long ts, String key, String value) {
        producer.send(new ProducerRecord<>(Topics.INSIGHTS.name(), null, ts, key, value));
    }
}
