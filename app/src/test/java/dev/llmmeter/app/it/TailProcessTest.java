package dev.llmmeter.app.it;

import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.StatsCodec;
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
class TailProcessTest {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    private static final Duration LOADED = Duration.ofSeconds(90);

    private static String tick(long ts) {
        return new String(StatsCodec.encode(new Stats(10.0, true, false, 12.0, 8.0, 1, ts)), StandardCharsets.UTF_8);
    }

    private static void send(String... values) {
        Properties p = new Properties();
        p.putAll(kafka.clientConfig());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            for (String v : values) {
                producer.send(new ProducerRecord<>(Topics.STATS, Topics.STATS_KEY, v));
            }
        }
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }

    @Test
    @DisplayName("tail --json --history 2 prints the last two ticks, says once that its topic was deleted and is back, and exits 0 on SIGTERM")
    void tailJsonShowsItsHistoryFollowsADeletedTopicQuietlyAndExitsZeroOnSigterm(@TempDir Path dir) throws Exception {
        kafka.createTopic(Topics.STATS, 1);
        long t = (System.currentTimeMillis() / 1000 - 100) * 1000;
        send(tick(t), tick(t + 1000), tick(t + 2000));

        Path out = dir.resolve("out.log");
        Path err = dir.resolve("err.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process tail = new ProcessBuilder(java, "-Xmx256m", "-Dlog4j2.configurationFile=log4j2.xml",
                "-cp", System.getProperty("java.class.path"), "dev.llmmeter.app.ServiceMain",
                "tail", "--bootstrap-servers", kafka.bootstrapServers(), "--json", "--history", "2")
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            await("the history").atMost(LOADED).until(() -> lines(out).equals(List.of(tick(t + 1000), tick(t + 2000))));

            admin.deleteTopics(List.of(Topics.STATS)).all().get();
            await("the deletion said").atMost(LOADED).until(() -> lines(err).stream().anyMatch(l -> l.contains("was deleted")));
            kafka.createTopic(Topics.STATS, 1);
            send(tick(t + 3000));
            await("the recreated topic's tick").atMost(LOADED)
                    .until(() -> lines(out).equals(List.of(tick(t + 1000), tick(t + 2000), tick(t + 3000))));

            tail.destroy(); // SIGTERM
            assertTrue(tail.waitFor(30, TimeUnit.SECONDS), "tail still running 30 s after SIGTERM");
            assertEquals(0, tail.exitValue());
        } finally {
            tail.destroyForcibly();
        }
        assertEquals(List.of(
                "metering tail: topic metering.stats was deleted; reading it again if it comes back (looking every 5 s)",
                "metering tail: topic metering.stats is back; reading it from the beginning"), lines(err));
    }
}
