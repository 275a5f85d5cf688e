package dev.llmmeter.app.it;

import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code metering tail --json} as a child JVM with the service's own log configuration, on a real broker: its
 * history, a topic deleted and recreated under it, and SIGTERM.
 */
class TailProcessIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    private static final Duration LOADED = Duration.ofSeconds(90);

    private static String tick(long ts) {
        return new String(Topics.STATS.serializeValue(new Stats(10.0, true, false, 12.0, 8.0, 1, ts)), StandardCharsets.UTF_8);
    }

    private static void send(String topic, String... values) {
        Properties p = new Properties();
        p.putAll(kafka.clientConfig());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            for (String v : values) {
                producer.send(new ProducerRecord<>(topic, Topics.STATS_KEY, v));
            }
        }
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }

    /** {@code metering tail} reading {@code topic} as its stats topic (METERING_TOPIC_STATS), with these options. */
    private static Process startTail(Path dir, String topic, String... options) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java, "-Xmx256m", "-Dlog4j2.configurationFile=log4j2.xml",
                "-cp", System.getProperty("java.class.path"), "dev.llmmeter.app.ServiceMain",
                "tail", "--bootstrap-servers", kafka.bootstrapServers()));
        command.addAll(List.of(options));
        ProcessBuilder b = new ProcessBuilder(command);
        b.environment().put("METERING_TOPIC_STATS", topic);
        return b.redirectOutput(dir.resolve("out.log").toFile())
                .redirectError(dir.resolve("err.log").toFile()).start();
    }

    private static void stop(Process tail) throws InterruptedException {
        tail.destroy(); // SIGTERM
        assertTrue(tail.waitFor(30, TimeUnit.SECONDS), "tail still running 30 s after SIGTERM");
    }

    @Test
    @DisplayName("tail --json --history 2 starts with the last two ticks")
    void tailJsonStartsWithItsHistory(@TempDir Path dir) throws Exception {
        String topic = "history.stats";
        kafka.createTopic(topic, 1);
        long t = (System.currentTimeMillis() / 1000 - 100) * 1000;
        send(topic, tick(t), tick(t + 1000), tick(t + 2000));
        Process tail = startTail(dir, topic, "--json", "--history", "2");
        try {
            await("the history").atMost(LOADED).until(() -> lines(dir.resolve("out.log")).equals(List.of(tick(t + 1000), tick(t + 2000))));
        } finally {
            tail.destroyForcibly();
        }
    }

    @Test
    @DisplayName("SIGTERM stops tail with exit status 0")
    void sigtermStopsTailWithExitZero(@TempDir Path dir) throws Exception {
        String topic = "sigterm.stats";
        kafka.createTopic(topic, 1);
        send(topic, tick((System.currentTimeMillis() / 1000 - 100) * 1000));
        Process tail = startTail(dir, topic, "--history", "1");
        try {
            await("the view drawn").atMost(LOADED).until(() -> Files.exists(dir.resolve("out.log")) && Files.size(dir.resolve("out.log")) > 0);
            stop(tail);
            assertEquals(0, tail.exitValue());
        } finally {
            tail.destroyForcibly();
        }
    }

    @Test
    @DisplayName("a topic deleted and recreated under tail is said once each, without the consumer's warnings, and read again")
    void aDeletedAndRecreatedTopicIsSaidOnceAndReadAgain(@TempDir Path dir) throws Exception {
        String topic = "deleted.stats";
        kafka.createTopic(topic, 1);
        Path out = dir.resolve("out.log");
        Path err = dir.resolve("err.log");
        long t = (System.currentTimeMillis() / 1000 - 100) * 1000;
        Process tail = startTail(dir, topic, "--json", "--history", "0");
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong(t);
            await("reading").atMost(LOADED).pollInterval(Duration.ofMillis(500)).until(() -> {
                send(topic, tick(next.getAndAdd(1000))); // ticks until tail, started at the end, shows one
                return !lines(out).isEmpty();
            });
            long marker = next.getAndAdd(1000);
            send(topic, tick(marker));
            await("all shown up to a marker").atMost(LOADED).until(() -> lines(out).get(lines(out).size() - 1).equals(tick(marker)));
            int before = lines(out).size();

            admin.deleteTopics(List.of(topic)).all().get();
            await("the deletion said").atMost(LOADED).until(() -> lines(err).stream().anyMatch(l -> l.contains("was deleted")));
            kafka.createTopic(topic, 1);
            long after = next.get() + 1000;
            send(topic, tick(after));
            await("the recreated topic's tick").atMost(LOADED).until(() -> lines(out).size() == before + 1);
            assertEquals(tick(after), lines(out).get(before));
            stop(tail);
        } finally {
            tail.destroyForcibly();
        }
        assertEquals(List.of(
                "metering tail: topic deleted.stats was deleted; reading it again if it comes back (looking every 5 s)",
                "metering tail: topic deleted.stats is back; reading it from the beginning"), lines(err));
    }
}
