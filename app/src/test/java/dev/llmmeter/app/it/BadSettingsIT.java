package dev.llmmeter.app.it;

import dev.llmmeter.app.InstanceId;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A bad Kafka or Streams setting is a usage error for topology, tail and serve alike: exit 2, one line naming it (and
 * the pointer to --help), before anything is written: no topic created, no instance id file.
 */
class BadSettingsIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    @TempDir
    Path dir;

    /** A properties line and the message it gives. */
    private static Map<String, String> badSettings() {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("processing.guarantee=bogus", "bad Kafka setting: Invalid value bogus for configuration processing.guarantee: "
                + "String must be one of: at_least_once, exactly_once_v2");
        bad.put("num.stream.threads=abc", "bad Kafka setting: Invalid value abc for configuration num.stream.threads: Not a number of type INT");
        bad.put("security.protocol=TLS", "bad Kafka setting: Invalid value TLS for configuration security.protocol: "
                + "String must be one of (case insensitive): SASL_SSL, PLAINTEXT, SSL, SASL_PLAINTEXT");
        bad.put("session.timeout.ms=-5", "session.timeout.ms and heartbeat.interval.ms must be positive, got -5 and 1000");
        bad.put("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule "
                + "required username=\"metering\" password=\"secret\"", "bad Kafka client settings: JAAS config entry not terminated by semi-colon");
        bad.put("application.id=my app", "application.id must be 1 to 224 letters, digits, '.', '_' or '-' (it names the consumer "
                + "group and prefixes the internal topics), got 'my app'");
        return bad;
    }

    @Test
    void topologyRefusesEachBadSettingWithExitTwoInOneLineHavingWrittenNothing() throws Exception {
        Set<String> before = topics();
        int n = 0;
        for (Map.Entry<String, String> bad : badSettings().entrySet()) {
            Path state = dir.resolve("state-" + n);
            Path config = config("topology-" + n++, bad.getKey());
            ServiceProcess.Run run = ServiceProcess.inProcess("topology", "--bootstrap-servers", kafka.bootstrapServers(), "--config", config.toString(),
                    "--state-dir", state.toString());
            assertUsageError("topology", bad.getValue(), run);
            assertFalse(Files.exists(state.resolve(InstanceId.FILE_NAME)), "no instance id file: " + run);
        }
        ServiceProcess.Run run = ServiceProcess.inProcess("topology", "--bootstrap-servers", kafka.bootstrapServers(), "--application-id", "my app",
                "--state-dir", dir.resolve("state-flag").toString());
        assertUsageError("topology", badSettings().get("application.id=my app"), run);
        assertEquals(before, topics(), "no topic created");
    }

    @Test
    void tailAndServeRefuseTheSameSettingsTheSameWay() throws Exception {
        Set<String> before = topics();
        int n = 0;
        for (Map.Entry<String, String> bad : badSettings().entrySet()) {
            Path config = config("clients-" + n++, bad.getKey());
            assertUsageError("tail", bad.getValue(), ServiceProcess.inProcess("tail", "--bootstrap-servers", kafka.bootstrapServers(),
                    "--config", config.toString(), "--json", "--max-records", "1"));
            assertUsageError("serve", bad.getValue(), ServiceProcess.inProcess("serve", "--bootstrap-servers", kafka.bootstrapServers(),
                    "--config", config.toString(), "--http-port", "0"));
        }
        assertEquals(before, topics(), "no topic created");
    }

    /**
     * {@code METERING_SLO_MODELS} as a compose file sets it, malformed: a child process, as the image runs it, exits 2
     * with one line naming the setting, the entry and the form (no stack trace), having written nothing.
     */
    @Test
    void aMalformedPerModelObjectiveListFromTheEnvironmentIsExitTwoInOneLine() throws Exception {
        Set<String> before = topics();
        String form = "; the form is MODEL=ttft:MS,tpot:MS entries separated by ';', e.g. llama-3.1-70b=ttft:500,tpot:50;gpt-x=ttft:800";
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("llama-3.1-70b:ttft:500", "entry 'llama-3.1-70b:ttft:500' has no '='");
        bad.put("llama-3.1-70b=ttft:500,tpot:-1", "entry 'llama-3.1-70b=ttft:500,tpot:-1': tpot must be a positive number of milliseconds, got '-1'");
        int n = 0;
        for (Map.Entry<String, String> e : bad.entrySet()) {
            Path state = dir.resolve("state-env-" + n++);
            ServiceProcess.Run run = ServiceProcess.start(dir, Map.of("METERING_SLO_MODELS", e.getKey()), "topology",
                    "--bootstrap-servers", kafka.bootstrapServers(), "--state-dir", state.toString()).finish();
            assertUsageError("topology", "Invalid value " + e.getKey() + " for configuration metering.slo.models: " + e.getValue() + form, run);
            assertFalse(Files.exists(state.resolve(InstanceId.FILE_NAME)), "no instance id file: " + run);
        }
        assertEquals(before, topics(), "no topic created");
    }

    /** Topic names of its own, so that a topic it created could not hide among those of another test. */
    private Path config(String name, String lines) throws Exception {
        Path f = dir.resolve(name + ".properties");
        Files.writeString(f, lines + "\nmetering.topic.deltas=" + name + ".deltas\nmetering.topic.stats=" + name + ".stats\n"
                + "metering.topic.dlq=" + name + ".dlq\nmetering.topic.streams=" + name + ".streams\n"
                + "metering.topic.insights=" + name + ".insights\n");
        return f;
    }

    private static void assertUsageError(String command, String message, ServiceProcess.Run run) {
        List<String> lines = run.err().lines().toList();
        assertEquals(2, run.exit(), run.toString());
        assertEquals(List.of("metering " + command + ": " + message, "Run 'metering " + command + " --help' for usage."), lines,
                run.toString());
        assertEquals("", run.out(), run.toString());
    }

    private static Set<String> topics() throws Exception {
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            return admin.listTopics().names().get(30, TimeUnit.SECONDS);
        }
    }
}
