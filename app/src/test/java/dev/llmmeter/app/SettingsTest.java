package dev.llmmeter.app;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
