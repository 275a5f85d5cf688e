package dev.llmmeter.cli.it;

import dev.llmmeter.devkit.ConstantRateStreams;
import dev.llmmeter.app.it.StatsCollector;
import dev.llmmeter.app.it.LiveApps;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.cli.Main;
import dev.llmmeter.app.MeteringApp;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.devkit.EmbeddedKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * topology, simulate and tail against a broker that requires SASL (PLAIN and SCRAM-SHA-512 over
 * SASL_PLAINTEXT), with their settings in a --config file (or, for one tail, METERING_* variables): with the
 * right credentials they work; with a wrong password, no credentials or no security settings at all, each
 * fails on the broker's answer (not a client timeout), with one line that names authentication and a non-zero
 * exit, having written nothing. How long each failure took is printed, not asserted.
 */
class SaslClusterIT {
    static final String USER = "metering";
    static final String PASSWORD = "metering-secret";

    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension(b -> b.sasl(Map.of(USER, PASSWORD)));

    @TempDir
    Path dir;

    @Test
    void withTheRightCredentialsTopologySimulateAndTailWork() throws Exception {
        Path scram = config("scram.properties", security("SCRAM-SHA-512", USER, PASSWORD));
        Path plain = config("plain.properties", security("PLAIN", USER, PASSWORD));
        Properties settings = load(scram);
        settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        settings.put(StreamsConfig.APPLICATION_ID_CONFIG, "sasl-ok");
        settings.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        Properties client = new Properties();
        client.putAll(kafka.clientConfig());
        try (MeteringApp app = LiveApps.startRunning(settings);
             StatsCollector collector = new StatsCollector(kafka.bootstrapServers(), kafka.clientConfig())) {
            long started = System.currentTimeMillis();
            Run sim = simulate("--bootstrap-servers", kafka.bootstrapServers(), "--config", plain.toString(),
                    "--streams", "5", "--rate", "20", "--duration", "4");
            assertEquals(0, sim.exit(), sim.err());
            assertTrue(sim.err().contains("all acknowledged"), sim.err());
            assertTrue(endOffsets(Topics.DELTAS.name()) > 0, "events on " + Topics.DELTAS.name());
            collector.await(s -> s.ts() >= started && s.active() > 0, Duration.ofSeconds(30), "with the simulated streams");

            // Tail reads from the end: keep streams live while it does.
            try (ConstantRateStreams load = new ConstantRateStreams(kafka.bootstrapServers(), client, "sasl", 10, 20)) {
                // Once the simulated streams have ended and only these two are live (the idle record between them
                // would otherwise be the first a tail started too early reads).
                collector.await(s -> s.ts() > load.start() && s.active() == 2, Duration.ofSeconds(60), "with the two live streams only");
                Run tail = metering("tail", "--bootstrap-servers", kafka.bootstrapServers(), "--config", scram.toString(),
                        "--json", "--history", "0", "--max-records", "3"); // from the end: the live ticks only
                assertEquals(0, tail.exit(), tail.err());
                List<Stats> stats = tail.out().lines().map(l -> Topics.STATS.deserializeValue(l.getBytes(StandardCharsets.UTF_8))).toList();
                assertEquals(3, stats.size(), tail.out());
                assertTrue(stats.stream().allMatch(s -> s.active() == 2), "the two live streams: " + stats);

                // The container way: the same settings as METERING_* variables, in a process of its own.
                Map<String, String> env = Map.of(
                        "METERING_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                        "METERING_SECURITY_PROTOCOL", "SASL_PLAINTEXT",
                        "METERING_SASL_MECHANISM", "SCRAM-SHA-512",
                        "METERING_SASL_JAAS_CONFIG", jaas("SCRAM-SHA-512", USER, PASSWORD));
                Run child = child(env, "tail", "--json", "--max-records", "2");
                assertEquals(0, child.exit(), child.err());
                assertEquals(2, child.out().lines().map(l -> Topics.STATS.deserializeValue(l.getBytes(StandardCharsets.UTF_8))).count(), child.out());
            }
        }
    }

    @Test
    void aWrongPasswordFailsEachCommandFastSayingAuthenticationFailedAndWritesNothing() throws Exception {
        Path wrong = config("wrong.properties", security("SCRAM-SHA-512", USER, "not-the-password"));
        assertFailsWritingNothing(wrong, 1, "authentication failed at " + kafka.bootstrapServers()
                + ": Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512");
        Path wrongPlain = config("wrong-plain.properties", security("PLAIN", USER, "not-the-password"));
        assertFailsWritingNothing(wrongPlain, 1, "authentication failed at " + kafka.bootstrapServers() + ": Authentication failed");
    }

    @Test
    void saslWithoutCredentialsIsABadSettingNamedBeforeAnyConnection() throws Exception {
        Path none = config("no-jaas.properties", "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n");
        assertFailsWritingNothing(none, 2, "SASL authentication needs credentials: security.protocol is SASL_PLAINTEXT "
                + "but sasl.jaas.config is not set");
    }

    @Test
    void noSecuritySettingsAtAllFailFastSayingTheListenerRequiresAuthentication() throws Exception {
        Path none = config("plaintext.properties", "client.id=forgot-the-security-settings\n");
        assertFailsWritingNothing(none, 1, "Kafka at " + kafka.bootstrapServers() + " accepts connections and closes them unanswered: "
                + "its listener requires authentication (SASL) or TLS, and no security settings are given");
    }

    /**
     * topology (with topic names of its own, which must not appear), simulate (to metering.deltas, which must
     * gain no records) and tail each fail with {@code exit}, their first stderr line starting with the command's
     * prefix and containing {@code message}; one line in all for a runtime failure. The message is the broker's
     * answer: a client timeout would say "cannot reach Kafka at ... within 30 s" instead.
     */
    private void assertFailsWritingNothing(Path config, int exit, String message) throws Exception {
        String prefix = config.getFileName().toString().replace(".properties", "");
        Path topologyConfig = this.config(prefix + "-topology.properties", Files.readString(config)
                + "metering.topic.deltas=" + prefix + ".deltas\nmetering.topic.stats=" + prefix + ".stats\n"
                + "metering.topic.dlq=" + prefix + ".dlq\n");
        ensureTopic(Topics.DELTAS.name(), 4);
        long deltasBefore = endOffsets(Topics.DELTAS.name());

        Map<String, Function<String, String>> commands = Map.of(
                "topology", m -> "metering: " + m,
                "simulate", m -> "simulate: " + m,
                "tail", m -> "metering tail: " + m);
        for (String command : List.of("topology", "simulate", "tail")) {
            Run run = switch (command) {
                case "topology" -> metering("topology", "--bootstrap-servers", kafka.bootstrapServers(), "--config",
                        topologyConfig.toString(), "--application-id", prefix, "--state-dir", dir.resolve("state-" + prefix).toString());
                case "simulate" -> metering("simulate", "--bootstrap-servers", kafka.bootstrapServers(), "--config", config.toString(),
                        "--duration", "3");
                default -> metering("tail", "--bootstrap-servers", kafka.bootstrapServers(), "--config", config.toString(),
                        "--json", "--max-records", "1");
            };
            String what = command + " with " + config.getFileName() + ": " + run;
            System.out.println("sasl: " + command + " with " + config.getFileName() + " exited " + run.exit() + " after " + run.millis() + " ms");
            assertEquals(exit, run.exit(), what);
            String first = run.err().lines().findFirst().orElse("");
            String expected = exit == 2 ? "metering " + command + ": " + message : commands.get(command).apply(message);
            assertTrue(first.startsWith(expected), "expected '" + expected + "': " + what);
            assertTrue(first.toLowerCase(java.util.Locale.ROOT).contains("authentication"), what);
            if (exit == 1) {
                assertEquals(1, run.err().lines().count(), "one line: " + what);
            } else {
                assertTrue(run.err().contains("Run 'metering " + command + " --help' for usage."), "a usage error: " + what);
            }
            assertEquals("", run.out(), what);
            assertFalse(run.err().contains("not-the-password"), "the password in: " + what);
        }
        assertEquals(deltasBefore, endOffsets(Topics.DELTAS.name()), "the failed simulate wrote nothing to " + Topics.DELTAS.name());
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            Set<String> created = admin.listTopics().names().get(10, TimeUnit.SECONDS).stream()
                    .filter(t -> t.startsWith(prefix)).collect(Collectors.toSet());
            assertEquals(Set.of(), created, "the failed topology created no topics");
        }
    }

    record Run(int exit, String out, String err, long millis) {
    }

    /** {@code metering ARGS} in this JVM: its exit code, stdout and stderr (the commands print to System.out/err too). */
    private static synchronized Run metering(String... args) {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StringWriter cmdErr = new StringWriter();
        long started = System.nanoTime();
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            CommandLine cmd = Main.commandLine();
            cmd.setErr(new PrintWriter(cmdErr, true));
            exit = cmd.execute(args);
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8) + cmdErr,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    /** {@code metering simulate ARGS} in this JVM: simulate writes only to the command's own out and err. */
    private static Run simulate(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        long started = System.nanoTime();
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 1];
        all[0] = "simulate";
        System.arraycopy(args, 0, all, 1, args.length);
        int exit = cmd.execute(all);
        return new Run(exit, out.toString(), err.toString(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    /** {@code metering ARGS} as a process of its own with these environment variables (no METERING_* of ours). */
    private Run child(Map<String, String> env, String... args) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), "dev.llmmeter.cli.Main"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("METERING_"));
        pb.environment().putAll(env);
        Path out = dir.resolve("child.out");
        Path err = dir.resolve("child.err");
        long started = System.nanoTime();
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    private static String jaas(String mechanism, String user, String password) {
        return EmbeddedKafka.saslClientConfig(mechanism, user, password).get(SaslConfigs.SASL_JAAS_CONFIG).toString();
    }

    /** The properties a user writes for a SASL_PLAINTEXT cluster. */
    private static String security(String mechanism, String user, String password) {
        return "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=" + mechanism + "\nsasl.jaas.config="
                + jaas(mechanism, user, password).replace("\\", "\\\\") + "\n";
    }

    private Path config(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static Properties load(Path file) throws IOException {
        Properties p = new Properties();
        try (InputStream in = new FileInputStream(file.toFile())) {
            p.load(in);
        }
        return p;
    }

    private static void ensureTopic(String topic, int partitions) throws Exception {
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            if (!admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(topic)) {
                admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(10, TimeUnit.SECONDS);
            }
        }
    }

    /** The sum of the topic's end offsets (read with the broker's own credentials). */
    private static long endOffsets(String topic) throws Exception {
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic).partitions().size();
            Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
            for (int p = 0; p < partitions; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            return admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS).values().stream().mapToLong(i -> i.offset()).sum();
        }
    }
}
