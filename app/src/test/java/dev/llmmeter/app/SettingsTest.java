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
    void aTypoInAMeteringVariableIsAnErrorNamingIt() {
        assertEquals("unknown environment variable METERING_STALE_MSS: it would set stale.mss, which is neither a metering "
                        + "nor a Kafka setting; did you mean METERING_STALE_MS? (METERING_* variables are settings, apart from "
                        + "METERING_JAVA_OPTS and METERING_LOG_LEVEL)",
                assertThrows(Settings.SettingsException.class, () -> Settings.load(null,
                        Map.of("METERING_STALE_MSS", "5", "METERING_BOOTSTRAP_SERVERS", "b:9092"), new Properties())).getMessage());
        assertEquals("unknown environment variable METERING_BOOTSTRAP_SERVER: it would set bootstrap.server, which is neither "
                        + "a metering nor a Kafka setting (METERING_* variables are settings, apart from METERING_JAVA_OPTS and "
                        + "METERING_LOG_LEVEL)",
                assertThrows(Settings.SettingsException.class, () -> Settings.load(null,
                        Map.of("METERING_BOOTSTRAP_SERVER", "b:9092"), new Properties())).getMessage());
    }

    @Test
    void theVariablesOfTheScriptsTheImageAndTheDocsAreAccepted() {
        Map<String, String> env = new java.util.TreeMap<>(Map.of("METERING_JAVA_OPTS", "-Xmx1g", "METERING_LOG_LEVEL", "INFO",
                "METERING_BOOTSTRAP_SERVERS", "kafka:19092", "METERING_APPLICATION_ID", "llm-metering",
                "METERING_STATE_DIR", "/var/lib/metering/state", "METERING_TOPIC_DELTAS_PARTITIONS", "4",
                "METERING_SECURITY_PROTOCOL", "SASL_SSL", "METERING_SASL_MECHANISM", "PLAIN",
                "METERING_SASL_JAAS_CONFIG", "x", "METERING_SSL_TRUSTSTORE_LOCATION", "/etc/ca.pem"));
        env.put("METERING_PRODUCER_LINGER_MS", "5");
        env.put("METERING_MAIN_CONSUMER_MAX_POLL_RECORDS", "100");
        env.put("METERING_TOPIC_MIN_INSYNC_REPLICAS", "2");
        env.put("METERING_NUM_STANDBY_REPLICAS", "1");
        env.put("METERING_TOPIC_DELTAS", "my.deltas");
        env.put("METERING_SLO_MODELS", "llama-3.1-70b=ttft:500,tpot:50;gpt-x=ttft:800");
        Properties p = Settings.fromEnvironment(env);
        assertEquals(14, p.size(), p.toString());
        assertEquals("llama-3.1-70b=ttft:500,tpot:50;gpt-x=ttft:800", p.getProperty("metering.slo.models"));
        assertEquals("5", p.getProperty("producer.linger.ms"));
        assertEquals("2", p.getProperty("topic.min.insync.replicas"));
        assertEquals("my.deltas", p.getProperty("metering.topic.deltas"));
    }

    @Test
    void everyKafkaSettingIsCheckedAsTheClientsWillBeforeAnythingStarts() {
        Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("processing.guarantee=bogus",
                "bad Kafka setting: Invalid value bogus for configuration processing.guarantee: String must be one of: at_least_once, exactly_once_v2");
        bad.put("num.stream.threads=abc", "bad Kafka setting: Invalid value abc for configuration num.stream.threads: Not a number of type INT");
        bad.put("security.protocol=TLS", "bad Kafka setting: Invalid value TLS for configuration security.protocol: "
                + "String must be one of (case insensitive): SASL_SSL, PLAINTEXT, SSL, SASL_PLAINTEXT");
        bad.put("main.consumer.max.poll.records=0", "bad Kafka setting: Invalid value 0 for configuration max.poll.records: Value must be at least 1");
        bad.put("producer.linger.ms=-1", "bad Kafka setting: Invalid value -1 for configuration linger.ms: Value must be at least 0");
        bad.put("session.timeout.ms=-5", "session.timeout.ms and heartbeat.interval.ms must be positive, got -5 and 1000");
        bad.put("heartbeat.interval.ms=20000", "heartbeat.interval.ms (20000) must be lower than session.timeout.ms (10000)");
        bad.put("application.id=my app", "application.id must be 1 to 224 letters, digits, '.', '_' or '-' (it names the "
                + "consumer group and prefixes the internal topics), got 'my app'");
        bad.put("sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\"",
                "bad Kafka client settings: JAAS config entry not terminated by semi-colon");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            Properties p = new Properties();
            p.put("bootstrap.servers", "localhost:9");
            if (e.getKey().startsWith("sasl.")) {
                p.put("security.protocol", "SASL_PLAINTEXT");
                p.put("sasl.mechanism", "PLAIN");
            }
            String[] kv = e.getKey().split("=", 2);
            p.put(kv[0], kv[1]);
            Settings s = Settings.of(p);
            assertEquals(e.getValue(), assertThrows(Settings.SettingsException.class, s::requireValidKafka).getMessage(), e.getKey());
        }
        Properties good = new Properties();
        good.put("bootstrap.servers", "localhost:9");
        Settings.of(good).requireValidKafka();
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
        assertEquals("Invalid value 0 for configuration metering.topic.deltas.partitions: Value must be at least 1",
                assertThrows(Settings.SettingsException.class, () -> Settings.of(props("metering.topic.deltas.partitions", "0"))).getMessage());
        assertEquals("Invalid value yes for configuration metering.topic.create: Expected value to be either true or false",
                assertThrows(Settings.SettingsException.class, () -> Settings.of(props("metering.topic.create", "yes"))).getMessage());
        assertEquals("Invalid value 0 for configuration metering.topic.replication.factor: must be -1 (the broker's default) or at least 1",
                assertThrows(Settings.SettingsException.class, () -> Settings.of(props("metering.topic.replication.factor", "0"))).getMessage());
        String unknown = assertThrows(Settings.SettingsException.class, () -> Settings.of(props("metering.topic.creat", "false"))).getMessage();
        assertEquals("unknown setting metering.topic.creat; known metering settings: metering.topic.deltas, metering.topic.stats, "
                + "metering.topic.dlq, metering.topic.streams, metering.topic.insights, metering.topic.usage, metering.stale.ms, metering.hour.window.ms, "
                + "metering.begin.expiry.ms, metering.partial.ttl.ms, metering.combiner.grace.ms, metering.max.future.ms, "
                + "metering.max.sessions.per.task, metering.streams.retention.ms, metering.insights.max.labels, metering.insights.max.labels.per.task, "
                + "metering.usage.grace.ms, metering.usage.dedupe.ms, metering.usage.dedupe.max.ids, metering.slo.ttft.ms, metering.slo.tpot.ms, metering.slo.target, metering.slo.models, "
                + "metering.topic.deltas.partitions, metering.topic.replication.factor, metering.topic.create, "
                + "metering.http.tokens.file, metering.http.tls.cert, metering.http.tls.key, metering.http.cors.origins, metering.http.sse.max.clients, metering.http.sse.max.clients.per.token", unknown);
    }

    @Test
    void aMissingConfigFileIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("nope.properties");
        assertEquals("config file not found: " + missing,
                assertThrows(Settings.SettingsException.class, () -> Settings.load(missing, Map.of(), new Properties())).getMessage());
    }

    @Test
    void theSseClientCapsComeFromTheSettingsOrTheEnvironmentAndAreAtLeastOne() {
        assertEquals(1000, Settings.of(new Properties()).sse().maxClients());
        assertEquals(100, Settings.of(new Properties()).sse().maxClientsPerToken());
        Settings s = Settings.load(null, Map.of("METERING_HTTP_SSE_MAX_CLIENTS_PER_TOKEN", "7"),
                props("metering.http.sse.max.clients", "50"));
        assertEquals(50, s.sse().maxClients());
        assertEquals(7, s.sse().maxClientsPerToken());
        assertEquals("Invalid value 0 for configuration metering.http.sse.max.clients: Value must be at least 1",
                assertThrows(Settings.SettingsException.class, () -> Settings.of(props("metering.http.sse.max.clients", "0"))).getMessage());
    }

    private static Properties props(String key, String value) {
        Properties p = new Properties();
        p.put(key, value);
        return p;
    }
}
