package dev.llmmeter.app.it;

import dev.llmmeter.app.StatsTail;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The tail (through contract's TopicFollower, which serve's feed shares) on a real broker: a topic given more
 * partitions, deleted, and back with fewer is followed, each change said once.
 */
class StatsTailFollowIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    private static final Duration LOADED = Duration.ofSeconds(60);

    private static void send(String topic, int partition, String value) {
        Properties p = new Properties();
        p.putAll(kafka.clientConfig());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, partition, "global", value));
        }
    }

    @Test
    @DisplayName("new partitions, a deletion and a comeback with fewer partitions are followed and each said once")
    void newPartitionsADeletionAndAComebackAreFollowedAndSaidOnce() throws Exception {
        String topic = "follow.stats";
        kafka.createTopic(topic, 1);
        send(topic, 0, "before");
        Properties settings = new Properties();
        settings.putAll(kafka.clientConfig());
        List<String> shown = new CopyOnWriteArrayList<>();
        List<String> notices = new CopyOnWriteArrayList<>();
        try (StatsTail tail = new StatsTail(settings, topic).notices(notices::add);
             Admin admin = Admin.create(kafka.clientConfig())) {
            tail.seekToLast(1, Duration.ofSeconds(30));
            Thread reader = new Thread(() -> tail.run(v -> shown.add(new String(v, StandardCharsets.UTF_8)), 0));
            reader.start();
            await().atMost(LOADED).until(() -> shown.equals(List.of("before")));

            admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(2))).all().get();
            send(topic, 1, "in the new partition");
            await().atMost(LOADED).until(() -> shown.equals(List.of("before", "in the new partition")));

            admin.deleteTopics(List.of(topic)).all().get();
            await().atMost(LOADED).until(() -> notices.size() == 2);
            kafka.createTopic(topic, 1);
            send(topic, 0, "after");
            await().atMost(LOADED).until(() -> shown.equals(List.of("before", "in the new partition", "after")));

            tail.wakeup();
            reader.join(10_000);
        }
        assertEquals(List.of(
                "topic follow.stats has 2 partitions now (was 1); reading the new ones from the beginning",
                "topic follow.stats was deleted; reading it again if it comes back (looking every 5 s)",
                "topic follow.stats is back; reading it from the beginning"), notices);
    }
}
