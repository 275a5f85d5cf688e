package dev.llmmeter.cli.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code metering broker --nodes 3} and {@code metering run --brokers 3}: a three-node development cluster, each node
 * with its own port and data directory, whose topics get three replicas and {@code min.insync.replicas=2}.
 */
class ClusterCommandsIT {
    private static final Duration LOADED = Duration.ofSeconds(120); // a bound for a loaded 2-core machine, not an expectation
    private static final Pattern ADDRESSES = Pattern.compile("localhost:(\\d+),localhost:(\\d+),localhost:(\\d+)");

    @TempDir
    Path dir;

    @Test
    void brokerWithThreeNodesPrintsTheirAddressesAndCreatesTopicsWithThreeReplicasAndMinInsyncReplicas2() throws Exception {
        Path data = dir.resolve("cluster");
        Process broker = metering("broker", "--nodes", "3", "--port", "0", "--data-dir", data.toString());
        try {
            String bootstrap = await("the bootstrap line on stdout").atMost(LOADED).until(() -> firstLine(dir.resolve("run.out")),
                    l -> !l.isEmpty());
            Matcher m = ADDRESSES.matcher(bootstrap);
            assertTrue(m.matches(), "three addresses: " + bootstrap);
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                assertEquals(3, admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
                admin.createTopics(List.of(new NewTopic("defaults", Optional.of(2), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
                TopicDescription d = admin.describeTopics(List.of("defaults")).allTopicNames().get(30, TimeUnit.SECONDS).get("defaults");
                d.partitions().forEach(p -> assertEquals(3, p.replicas().size(), p.toString()));
                String minIsr = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, "defaults"))).all()
                        .get(30, TimeUnit.SECONDS).values().iterator().next().get("min.insync.replicas").value();
                assertEquals("2", minIsr);
            }
            for (int node = 1; node <= 3; node++) {
                assertTrue(Files.exists(data.resolve("node-" + node).resolve("meta.properties")), "node " + node + "'s own data dir");
            }
            broker.destroy(); // SIGTERM: a clean stop
            assertTrue(broker.waitFor(LOADED.toSeconds(), TimeUnit.SECONDS), "stopped");
            assertEquals(0, broker.exitValue(), Files.readString(dir.resolve("run.err")));
        } finally {
            broker.destroyForcibly().waitFor();
        }
    }

    @Test
    void runWithThreeBrokersMetersTheSimulatedStreams() throws Exception {
        Process run = metering("run", "--brokers", "3", "--streams", "5", "--no-fleet", "--duration", "8", "--json", "--http-port", "0");
        try {
            assertTrue(run.waitFor(LOADED.toSeconds() + 60, TimeUnit.SECONDS), "ends after --duration");
            String err = Files.readString(dir.resolve("run.err"));
            assertEquals(0, run.exitValue(), err);
            assertTrue(Pattern.compile("metering run: brokers at " + ADDRESSES.pattern()).matcher(err).find(), err);
            List<JsonNode> stats = new ArrayList<>();
            ObjectMapper json = new ObjectMapper();
            for (String line : Files.readAllLines(dir.resolve("run.out"))) {
                stats.add(json.readTree(line));
            }
            assertTrue(stats.stream().anyMatch(s -> s.path("active").asInt() == 5), "a tick with the 5 streams: " + stats);
        } finally {
            run.destroyForcibly().waitFor();
        }
    }

    /** {@code metering ARGS} as a child JVM, as {@code bin/metering} runs it; stdout and stderr in files. */
    private Process metering(String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx768m", "-cp", System.getProperty("java.class.path"), "dev.llmmeter.cli.Main"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(dir.resolve("run.out").toFile()).redirectError(dir.resolve("run.err").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("METERING_"));
        return pb.start();
    }

    private static String firstLine(Path file) throws IOException {
        String text = Files.exists(file) ? Files.readString(file) : "";
        return text.contains("\n") ? text.substring(0, text.indexOf('\n')) : ""; // a whole line only
    }
}
