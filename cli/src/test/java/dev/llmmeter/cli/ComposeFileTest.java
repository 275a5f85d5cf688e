package dev.llmmeter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.llmmeter.app.MeteringApp;
import dev.llmmeter.app.Settings;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.topology.MeteringConfig;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * docker-compose.yml and the Dockerfile pass the app only commands, settings and topic names it accepts.
 * (CI checks the compose file's syntax with docker-compose itself: {@code docker-compose config -q}.)
 */
class ComposeFileTest {
    /** The repository root: surefire runs in the module directory, cli/. */
    static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    /** The Dockerfile's targets: the service image (the default, the last stage) and the tools image. */
    static final String SERVICE = "service";
    static final String TOOLS = "tools";
    /** Each target's main class, and the module whose target/classes and target/lib it copies. */
    static final Map<String, String> MAIN = Map.of(SERVICE, "dev.llmmeter.app.ServiceMain", TOOLS, "dev.llmmeter.cli.Main");
    static final Map<String, String> MODULE = Map.of(SERVICE, "app", TOOLS, "cli");

    static JsonNode compose;
    static Map<String, JsonNode> appServices;
    static List<String> dockerfile;

    @BeforeAll
    static void read() throws IOException {
        Path file = ROOT.resolve("docker-compose.yml");
        assertTrue(Files.isRegularFile(file), "no " + file);
        compose = new YAMLMapper().readTree(file.toFile());
        rejectMergeKeys(compose, "");
        appServices = new LinkedHashMap<>();
        Set<String> appImages = new LinkedHashSet<>();
        compose.get("services").properties().forEach(s -> {
            if (s.getValue().has("build")) {
                appImages.add(s.getValue().path("image").asText());
            }
        });
        compose.get("services").properties().forEach(s -> {
            if (s.getValue().has("build") || appImages.contains(s.getValue().path("image").asText())) {
                appServices.put(s.getKey(), s.getValue());
            }
        });
        dockerfile = instructions(Files.readAllLines(ROOT.resolve("Dockerfile")));
    }

    @Test
    void theServiceRunsFromTheServiceImageAndTheSimulatorFromTheToolsImage() {
        assertEquals(Set.of("topology", "simulate", "tail", "serve"), appServices.keySet());
        Map<String, String> imageOfTarget = new HashMap<>();
        appServices.forEach((name, s) -> {
            assertEquals(".", s.path("build").isTextual() ? s.path("build").asText() : s.path("build").path("context").asText(),
                    name + " is built from this repository");
            String previous = imageOfTarget.put(target(s), s.path("image").asText());
            assertTrue(previous == null || previous.equals(s.path("image").asText()), "one image name per target: " + name);
        });
        assertEquals(SERVICE, target(appServices.get("topology")));
        assertEquals(SERVICE, target(appServices.get("tail")));
        assertEquals(SERVICE, target(appServices.get("serve")));
        assertEquals(TOOLS, target(appServices.get("simulate")));
        assertFalse(imageOfTarget.get(SERVICE).equals(imageOfTarget.get(TOOLS)), "two images, two names: " + imageOfTarget);
        assertTrue(appServices.get("topology").path("deploy").path("replicas").asInt() >= 2, "topology runs two replicas");
    }

    /** A compose service's Dockerfile target; none means the last stage, the service. */
    private static String target(JsonNode service) {
        String t = service.path("build").path("target").asText("");
        return t.isEmpty() ? SERVICE : t;
    }

    @Test
    void everyAppServiceRunsACommandTheCliAccepts() {
        appServices.forEach((name, s) -> {
            List<String> args = command(s.get("command"));
            assertFalse(args.isEmpty(), name + " has a command");
            CommandLine.ParseResult parsed = parse(name, target(s), args);
            assertTrue(parsed.hasSubcommand(), name + ": " + args + " names a command");
            assertEquals(name, parsed.subcommand().commandSpec().name(), name + " runs 'metering " + name + "'");
        });
    }

    @Test
    void everyVariableOfAnAppServiceIsAMeteringSettingTheAppKnows() {
        appServices.forEach((name, s) -> {
            Map<String, String> env = environment(s.get("environment"));
            assertFalse(env.isEmpty(), name + " is configured through environment variables");
            env.keySet().forEach(variable -> assertKnown(name, variable));
            Properties settings = Settings.fromEnvironment(env);
            Settings.of(settings); // values valid too
            assertFalse(settings.getProperty("bootstrap.servers", "").isBlank(), name + " sets METERING_BOOTSTRAP_SERVERS");
        });
        // The topology's whole configuration is one the app starts with (short of connecting).
        MeteringApp app = new MeteringApp(Settings.fromEnvironment(environment(appServices.get("topology").get("environment"))));
        new StreamsConfig(app.streamsProperties());
    }

    @Test
    void theTopicInitialiserCreatesTheAppsTopicsWithThePartitionsTheTopologyExpects() {
        Map<String, String> partitions = new LinkedHashMap<>();
        compose.get("services").properties().forEach(s -> {
            String script = String.join(" ", command(s.getValue().get("command")));
            for (String step : script.split(";")) {
                if (step.contains("kafka-topics.sh") && step.contains("--create")) {
                    Matcher topic = Pattern.compile("--topic\\s+(\\S+)").matcher(step);
                    Matcher count = Pattern.compile("--partitions\\s+(\\d+)").matcher(step);
                    assertTrue(topic.find() && count.find(), "topic and partitions in: " + step);
                    partitions.put(topic.group(1), count.group(1));
                    assertTrue(s.getValue().path("image").asText().startsWith("apache/kafka:"), s.getKey());
                }
            }
        });
        assertEquals(Set.of(Topics.DELTAS.name(), Topics.STATS.name(), Topics.DEAD_LETTERS.name(), Topics.STREAMS.name(), Topics.INSIGHTS.name(), Topics.USAGE.name()), partitions.keySet());
        assertEquals(Set.of(MeteringConfig.DEFAULTS.get(MeteringConfig.DELTAS_TOPIC), MeteringConfig.DEFAULTS.get(MeteringConfig.STATS_TOPIC),
                MeteringConfig.DEFAULTS.get(MeteringConfig.DLQ_TOPIC), MeteringConfig.DEFAULTS.get(MeteringConfig.STREAMS_TOPIC),
                MeteringConfig.DEFAULTS.get(MeteringConfig.INSIGHTS_TOPIC),
                MeteringConfig.DEFAULTS.get(MeteringConfig.USAGE_TOPIC)), partitions.keySet());
        assertTrue(compactedTopics().contains(Topics.STREAMS.name()), "the per-stream records' topic is compacted, as the app creates it");
        String expected = environment(appServices.get("topology").get("environment")).get("METERING_TOPIC_DELTAS_PARTITIONS");
        if (expected != null) {
            assertEquals(expected, partitions.get(Topics.DELTAS.name()), "the topology's METERING_TOPIC_DELTAS_PARTITIONS");
        }
    }

    @Test
    void serveIsPublishedOnItsHttpPortAndHealthyWhenReady() {
        JsonNode serve = appServices.get("serve");
        List<String> args = command(serve.get("command"));
        String port = args.get(args.indexOf("--http-port") + 1);
        List<String> ports = new ArrayList<>();
        serve.path("ports").forEach(p -> ports.add(p.asText()));
        assertEquals(List.of("127.0.0.1:" + port + ":" + port), ports, "the dashboard on the host's loopback");
        // anonymous on the container's every interface, which only the host's loopback reaches
        assertEquals("0.0.0.0", args.get(args.indexOf("--http-host") + 1));
        assertTrue(args.contains("--allow-anonymous"), args.toString());
        String check = String.join(" ", command(serve.path("healthcheck").get("test")));
        assertTrue(check.contains("/dev/tcp/127.0.0.1/" + port) && check.contains("GET /readyz"), "healthy once ready: " + check);
    }

    /** Topics the initialiser creates with cleanup.policy=compact. */
    private static Set<String> compactedTopics() {
        Set<String> out = new LinkedHashSet<>();
        compose.get("services").properties().forEach(s -> {
            for (String step : String.join(" ", command(s.getValue().get("command"))).split(";")) {
                Matcher topic = Pattern.compile("--topic\\s+(\\S+)").matcher(step);
                if (step.contains("cleanup.policy=compact") && topic.find()) {
                    out.add(topic.group(1));
                }
            }
        });
        return out;
    }

    @Test
    void theBrokerIsTheKafkaTheAppIsBuiltWithAndStartupGoesByHealthAndCompletion() throws IOException {
        JsonNode services = compose.get("services");
        JsonNode kafka = services.get("kafka");
        Properties version = new Properties();
        try (var in = Main.class.getResourceAsStream("/metering-version.properties")) {
            version.load(in);
        }
        assertEquals("apache/kafka:" + version.getProperty("kafka"), kafka.path("image").asText(), "the pom's kafka.version");
        assertTrue(kafka.path("healthcheck").has("test"), "the broker has a healthcheck");
        Map<String, String> broker = environment(kafka.get("environment"));
        assertEquals("1", broker.get("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"));
        assertEquals("1", broker.get("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"));
        assertEquals("1", broker.get("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"));
        List<String> advertised = Arrays.stream(broker.get("KAFKA_ADVERTISED_LISTENERS").split(","))
                .map(l -> l.substring(l.indexOf("://") + 3)).toList();
        assertTrue(advertised.contains("localhost:9092"), "a listener for the host: " + advertised);

        String init = null;
        for (var s : services.properties()) {
            if (String.join(" ", command(s.getValue().get("command"))).contains("kafka-topics.sh")) {
                init = s.getKey();
                assertEquals("service_healthy", s.getValue().path("depends_on").path("kafka").path("condition").asText(), init);
            }
        }
        assertNotNull(init, "a topic initialiser");
        for (var e : appServices.entrySet()) {
            assertEquals("service_completed_successfully", e.getValue().path("depends_on").path(init).path("condition").asText(),
                    e.getKey() + " starts once the topics exist");
            String bootstrap = environment(e.getValue().get("environment")).get("METERING_BOOTSTRAP_SERVERS");
            assertTrue(advertised.contains(bootstrap), e.getKey() + ": " + bootstrap + " is an advertised listener " + advertised);
        }
    }

    @Test
    void eachImageRunsItsModulesMainWithACommandAndSettingsItAccepts() throws IOException {
        assertTrue(dockerfile.get(dockerfile.size() - 1).startsWith("CMD ")
                && stageOf(dockerfile.size() - 1).equals(SERVICE), "the service is the last stage, the default target");
        for (String target : List.of(SERVICE, TOOLS)) {
            List<String> entrypoint = jsonArray(instruction(target, "ENTRYPOINT"));
            String shell = String.join(" ", entrypoint);
            Matcher java = Pattern.compile("java (.*)-cp '?([^' ]+)'? (\\S+)").matcher(shell);
            assertTrue(java.find(), "java -cp CLASSPATH MAIN in " + entrypoint);
            assertEquals(MAIN.get(target), java.group(3), target);
            // The classpath is the two directories the stage copies from the build's <module>/target.
            for (String part : java.group(2).split(":")) {
                String dir = part.endsWith("/*") ? part.substring(0, part.length() - 2) : part;
                String from = MODULE.get(target) + (dir.endsWith("lib") ? "/target/lib" : "/target/classes");
                assertTrue(stage(target).stream().anyMatch(i -> i.matches("COPY --from=build \\S*" + from + " " + Pattern.quote(dir))),
                        target + ": " + dir + " is copied from " + from);
            }
            if (entrypoint.get(0).endsWith("sh")) {
                assertTrue(java.group(1).contains("$METERING_JAVA_OPTS"), "JVM options from METERING_JAVA_OPTS: " + shell);
                assertTrue(shell.contains("exec java"), "java replaces the shell (PID 1, gets SIGTERM): " + shell);
            }
            parse("CMD", target, jsonArray(instruction(target, "CMD")));
        }

        Map<String, String> env = new LinkedHashMap<>();
        for (String i : dockerfile) {
            if (i.startsWith("ENV ")) {
                Matcher pair = Pattern.compile("(\\w+)=(\"(?:[^\"\\\\]|\\\\.)*\"|\\S+)").matcher(i.substring(4));
                while (pair.find()) {
                    env.put(pair.group(1), pair.group(2).replaceAll("^\"|\"$", ""));
                }
            }
        }
        assertFalse(env.isEmpty(), "ENV");
        env.keySet().forEach(v -> assertKnown("Dockerfile", v));
        String stateDir = Settings.fromEnvironment(env).getProperty(StreamsConfig.STATE_DIR_CONFIG);
        assertTrue(instruction("VOLUME").contains("\"" + stateDir + "\""), "state.dir " + stateDir + " is a volume");
        String user = instruction("USER").substring(5).split(":")[0];
        assertFalse(user.equals("root") || user.equals("0"), "not root: " + user);

        // The build stage runs the packaging bin/metering runs.
        List<String> build = mavenPackage(dockerfile.stream().filter(i -> i.startsWith("RUN ")).toList());
        List<String> launcher = mavenPackage(Files.readAllLines(ROOT.resolve("bin/metering")));
        assertEquals(launcher, build, "Dockerfile build vs bin/metering");
    }

    /**
     * docker-compose.cluster.yml, on top of docker-compose.yml: three nodes of one cluster, every one a voter, with
     * three replicas and min.insync.replicas=2 for the internal and default topics; the topics created with three
     * replicas; every app service bootstrapped from all three.
     */
    @Test
    void theClusterFileRunsThreeVotersWithThreeReplicasAndMinInsyncReplicas2() throws IOException {
        JsonNode cluster = new YAMLMapper().readTree(ROOT.resolve("docker-compose.cluster.yml").toFile());
        rejectMergeKeys(cluster, "");
        JsonNode services = cluster.get("services");
        List<String> nodes = List.of("kafka", "kafka-2", "kafka-3");
        List<String> internal = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            Map<String, String> env = environment(services.get(nodes.get(i)).get("environment"));
            assertEquals(String.valueOf(i + 1), env.get("KAFKA_NODE_ID"), nodes.get(i));
            assertEquals("1@kafka:9093,2@kafka-2:9093,3@kafka-3:9093", env.get("KAFKA_CONTROLLER_QUORUM_VOTERS"), nodes.get(i));
            assertEquals(environment(services.get("kafka").get("environment")).get("CLUSTER_ID"), env.get("CLUSTER_ID"), "one cluster id");
            for (String replicas : List.of("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                    "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "KAFKA_DEFAULT_REPLICATION_FACTOR")) {
                assertEquals("3", env.get(replicas), nodes.get(i) + " " + replicas);
            }
            for (String minIsr : List.of("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "KAFKA_MIN_INSYNC_REPLICAS")) {
                assertEquals("2", env.get(minIsr), nodes.get(i) + " " + minIsr);
            }
            String advertised = i == 0 ? environment(compose.get("services").get("kafka").get("environment")).get("KAFKA_ADVERTISED_LISTENERS")
                    : env.get("KAFKA_ADVERTISED_LISTENERS");
            internal.add(advertised.split(",")[0].replace("INTERNAL://", ""));
            assertTrue(advertised.contains("HOST://localhost:" + (9092 + i)), nodes.get(i) + " on the host's localhost:" + (9092 + i));
        }
        String init = String.join(" ", command(services.get("topics-init").get("command")));
        Matcher rf = Pattern.compile("--replication-factor\\s+(\\d+)").matcher(init);
        int created = 0;
        while (rf.find()) {
            assertEquals("3", rf.group(1), init);
            created++;
        }
        assertEquals(6, created, "the app's six topics: " + init);
        for (String app : appServices.keySet()) {
            assertEquals(String.join(",", internal), environment(services.get(app).get("environment")).get("METERING_BOOTSTRAP_SERVERS"), app);
        }
    }

    /** Maven reads every module's POM before anything else: the build stage must copy them all before the first ./mvnw. */
    @Test
    void theDockerfileCopiesThePomOfEveryReactorModuleBeforeMavenRuns() throws IOException {
        Matcher module = Pattern.compile("<module>([^<]+)</module>").matcher(Files.readString(ROOT.resolve("pom.xml")));
        List<String> modules = new ArrayList<>();
        while (module.find()) {
            modules.add(module.group(1).trim());
        }
        assertEquals(List.of("contract", "topology", "producer-sim", "serve", "devkit", "app", "replay", "bench", "cli"), modules);
        int firstMaven = dockerfile.indexOf(dockerfile.stream().filter(i -> i.startsWith("RUN ./mvnw")).findFirst()
                .orElseGet(() -> fail("no RUN ./mvnw")));
        List<String> beforeMaven = dockerfile.subList(0, firstMaven);
        for (String m : modules) {
            assertTrue(beforeMaven.contains("COPY " + m + "/pom.xml " + m + "/"), m + "/pom.xml is copied before the first ./mvnw");
        }
    }

    /** The arguments of {@code ./mvnw ... package}, without -ntp (download progress only) and redirections. */
    private static List<String> mavenPackage(List<String> lines) {
        for (String line : lines) {
            Matcher m = Pattern.compile("\\./mvnw ([^)>&|;]*\\bpackage)\\b").matcher(line);
            if (m.find()) {
                List<String> args = new ArrayList<>(List.of(m.group(1).trim().split("\\s+")));
                args.remove("-ntp");
                return args;
            }
        }
        return fail("no ./mvnw ... package in " + lines);
    }

    private static void assertKnown(String where, String variable) {
        assertTrue(variable.startsWith(Settings.ENV_PREFIX), where + ": " + variable + " is not a METERING_* variable");
        if (Settings.NOT_SETTINGS.contains(variable)) {
            return;
        }
        String key = Settings.settingName(variable);
        boolean known = key.startsWith(MeteringConfig.PREFIX) ? Settings.isMeteringSetting(key)
                : StreamsConfig.configDef().names().contains(key) || ConsumerConfig.configNames().contains(key)
                || ProducerConfig.configNames().contains(key) || AdminClientConfig.configNames().contains(key);
        assertTrue(known, where + ": " + variable + " sets '" + key + "', which is neither a metering nor a Kafka setting");
    }

    private static CommandLine.ParseResult parse(String where, String target, List<String> args) {
        try {
            CommandLine cmd = target.equals(SERVICE) ? dev.llmmeter.app.ServiceMain.commandLine() : Main.commandLine();
            return cmd.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            return fail(where + ": 'metering " + String.join(" ", args) + "' is refused: " + e.getMessage());
        }
    }

    /** Compose's command: a list, or a string split as a shell would (no quoting in ours). */
    private static List<String> command(JsonNode node) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (node.isTextual()) {
            return List.of(node.asText().trim().split("\\s+"));
        }
        List<String> args = new ArrayList<>();
        node.forEach(a -> args.add(a.asText()));
        return args;
    }

    /** Compose's environment: a map, or a list of NAME=value. */
    private static Map<String, String> environment(JsonNode node) {
        Map<String, String> env = new HashMap<>();
        if (node == null) {
            return env;
        }
        if (node.isArray()) {
            node.forEach(e -> {
                String[] kv = e.asText().split("=", 2);
                env.put(kv[0], kv.length > 1 ? kv[1] : "");
            });
        } else {
            node.properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
        }
        return env;
    }

    /** The parser here does not expand YAML merge keys; compose would, and the checks would miss what they bring. */
    private static void rejectMergeKeys(JsonNode node, String path) {
        node.properties().forEach(e -> {
            assertFalse(e.getKey().equals("<<"), "docker-compose.yml uses a YAML merge key at " + path + ": spell the settings out");
            rejectMergeKeys(e.getValue(), path + "/" + e.getKey());
        });
        if (node.isArray()) {
            node.forEach(n -> rejectMergeKeys(n, path + "[]"));
        }
    }

    /** Dockerfile instructions, one string each: comments dropped, continuation lines joined. */
    private static List<String> instructions(List<String> lines) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : lines) {
            if (line.isBlank() || line.stripLeading().startsWith("#")) {
                continue;
            }
            String l = line.strip();
            boolean continued = l.endsWith("\\");
            current.append(continued ? l.substring(0, l.length() - 1) : l).append(' ');
            if (!continued) {
                out.add(current.toString().trim().replaceAll("\\s+", " "));
                current.setLength(0);
            }
        }
        return out;
    }

    /** The last instruction of this kind (the runtime stages'). */
    private static String instruction(String name) {
        String found = null;
        for (String i : dockerfile) {
            if (i.startsWith(name + " ")) {
                found = i;
            }
        }
        assertNotNull(found, "Dockerfile has " + name);
        return found;
    }

    /** The last instruction of this kind in a target's own stage. */
    private static String instruction(String target, String name) {
        String found = null;
        for (String i : stage(target)) {
            if (i.startsWith(name + " ")) {
                found = i;
            }
        }
        assertNotNull(found, "Dockerfile stage " + target + " has " + name);
        return found;
    }

    /** The instructions of the stage {@code FROM ... AS name}, its FROM included. */
    private static List<String> stage(String name) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < dockerfile.size(); i++) {
            if (stageOf(i).equals(name)) {
                out.add(dockerfile.get(i));
            }
        }
        assertFalse(out.isEmpty(), "Dockerfile has a stage " + name);
        return out;
    }

    private static String stageOf(int index) {
        String current = "";
        for (int i = 0; i <= index; i++) {
            Matcher from = Pattern.compile("^FROM \\S+ AS (\\S+)$").matcher(dockerfile.get(i));
            if (from.find()) {
                current = from.group(1);
            }
        }
        return current;
    }

    private static List<String> jsonArray(String instruction) throws IOException {
        JsonNode array = new ObjectMapper().readTree(instruction.substring(instruction.indexOf(' ') + 1));
        assertTrue(array.isArray(), "exec form: " + instruction);
        List<String> out = new ArrayList<>();
        array.forEach(a -> out.add(a.asText()));
        return out;
    }
}
