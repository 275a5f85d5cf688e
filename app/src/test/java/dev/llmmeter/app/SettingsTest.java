package dev.llmmeter.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SettingsTest {
    @Test
    void environmentVariablesNameKafkaOrMeteringSettings() {
        assertEquals("bootstrap.servers", Settings.settingName("METERING_BOOTSTRAP_SERVERS"));
        assertEquals("sasl.jaas.config", Settings.settingName("METERING_SASL_JAAS_CONFIG"));
        assertEquals("metering.stale.ms", Settings.settingName("METERING_STALE_MS"));
        assertEquals("metering.topic.deltas.partitions", Settings.settingName("METERING_TOPIC_DELTAS_PARTITIONS"));
        assertEquals("metering.stale.ms", Settings.settingName("METERING_METERING_STALE_MS"));
        assertEquals("state.dir", Settings.settingName("METERING_STATE_DIR"));
    }

    @Test
    void onlyMeteringVariablesThatAreSettingsAreRead() {
        Properties p = Settings.fromEnvironment(Map.of("METERING_BOOTSTRAP_SERVERS", "b:9092", "METERING_LOG_LEVEL", "INFO",
                "METERING_JAVA_OPTS", "-Xmx1g", "PATH", "/bin", "METERING_", "x"));
        assertEquals(Map.of("bootstrap.servers", "b:9092"), Map.copyOf(p));
    }

    @Test
    void aClientGetsOnlyTheSettingsItKnows() {
        Properties all = new Properties();
        all.put("bootstrap.servers", "b:9092");
        all.put("sasl.mechanism", "PLAIN");
        all.put("state.dir", "/var/lib/metering");
        all.put("metering.stale.ms", "5000");
        assertEquals(Map.of("bootstrap.servers", "b:9092", "sasl.mechanism", "PLAIN"),
                Map.copyOf(Settings.only(all, org.apache.kafka.clients.producer.ProducerConfig.configNames())));
    }

    @Test
    void laterLayersWin() {
        Properties file = new Properties();
        file.put("bootstrap.servers", "file:1");
        file.put("application.id", "from-file");
        Properties env = new Properties();
        env.put("bootstrap.servers", "env:1");
        Properties flags = new Properties();
        flags.put("application.id", "from-flag");
        Properties merged = Settings.layered(file, env, flags);
        assertEquals("env:1", merged.get("bootstrap.servers"));
        assertEquals("from-flag", merged.get("application.id"));
    }

    @Test
    void defaultsThenFileThenEnvironmentThenFlags(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("metering.properties");
        Files.writeString(file, "bootstrap.servers=file:1\nmetering.stale.ms=1000\nmetering.topic.deltas.partitions=8\napplication.id=from-file\n");
        Properties flags = new Properties();
        flags.put("application.id", "from-flag");
        Settings s = Settings.load(file, Map.of("METERING_BOOTSTRAP_SERVERS", "env:1", "METERING_STALE_MS", "2000"), flags);
        assertEquals("env:1", s.bootstrapServers());
        assertEquals(2000, s.metering().staleMs());
        assertEquals(3_600_000, s.metering().hourWindowMs()); // the built-in default
        assertEquals(8, s.deltasPartitions());
        assertEquals("from-flag", s.streams().getProperty("application.id"));
    }

    @Test
    void theStreamsPropertiesCarryTheTopologysHandlersAndNoMeteringKey() {
        Properties user = new Properties();
        user.put("metering.topic.dlq", "my.dlq");
        user.put("metering.topic.create", "false");
        Properties streams = Settings.of(user).streams();
        assertEquals("my.dlq", streams.getProperty("errors.dead.letter.queue.topic.name"));
        assertEquals("dev.llmmeter.topology.errors.InvalidDeltaDeserializationHandler",
                streams.getProperty("deserialization.exception.handler"));
        assertFalse(streams.keySet().stream().anyMatch(k -> k.toString().startsWith("metering.")), streams.toString());
        assertEquals("-1", streams.getProperty("max.task.idle.ms"), "one partition per task: nothing to idle for");
    }

    @Test
    void theAppsTopicSettingsAreCheckedByName() {
        assertEquals("metering.topic.deltas.partitions must be between 1 and 2147483647, got 0",
                assertThrows(Settings.SettingsException.class, () -> Settings.of(props("metering.topic.deltas.partitions", "0"))).getMessage());
        assertEquals("metering.topic.create must be true or false, got 'yes'",
                assertThrows(Settings.SettingsException.class, () -> Settings.of(props("metering.topic.create", "yes"))).getMessage());
        assertEquals("metering.topic.replication.factor must be -1 (the broker's default) or at least 1, got 0",
                assertThrows(Settings.SettingsException.class, () -> Settings.of(props("metering.topic.replication.factor", "0"))).getMessage());
        String unknown = assertThrows(Settings.SettingsException.class, () -> Settings.of(props("metering.topic.creat", "false"))).getMessage();
        assertEquals("unknown setting metering.topic.creat; known metering settings: metering.topic.deltas, metering.topic.stats, "
                + "metering.topic.dlq, metering.topic.streams, metering.topic.insights, metering.stale.ms, metering.hour.window.ms, "
                + "metering.begin.expiry.ms, metering.partial.ttl.ms, metering.combiner.grace.ms, metering.max.future.ms, "
                + "metering.max.sessions.per.task, metering.streams.retention.ms, metering.insights.max.labels, metering.insights.max.labels.per.task, "
                + "metering.topic.deltas.partitions, metering.topic.replication.factor, metering.topic.create", unknown);
    }

    @Test
    void aMissingConfigFileIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("nope.properties");
        assertEquals("config file not found: " + missing,
                assertThrows(Settings.SettingsException.class, () -> Settings.load(missing, Map.of(), new Properties())).getMessage());
    }

    private static Properties props(String key, String value) {
        Properties p = new Properties();
        p.put(key, value);
        return p;
    }
}
