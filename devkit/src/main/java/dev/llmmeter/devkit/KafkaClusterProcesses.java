package dev.llmmeter.devkit;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A Kafka cluster of N nodes, each an {@link EmbeddedKafka} in a child JVM of its own (this JVM's class path), so that
 * a test can kill one with SIGKILL ({@link #kill}) and start it again on its port and data ({@link #start}). Each node
 * is broker and controller; ports and the cluster id are fixed for the life of this object. Logs go to
 * {@code DIR/kafka-ID.log}. The client listeners are on 127.0.0.1 (advertised as {@code localhost}) unless a host is
 * given: a local address such as the host side of a veth pair, so that a client in another network namespace
 * reaches the cluster as well as clients on the host.
 */
public final class KafkaClusterProcesses implements AutoCloseable {
    private final Path dir;
    private final Map<Integer, Integer> ports = new LinkedHashMap<>();
    private final Map<Integer, Integer> voters = new LinkedHashMap<>();
    private final String clusterId = Uuid.randomUuid().toString();
    private final Map<Integer, Process> processes = new LinkedHashMap<>();
    /** The client listeners' address, or null for 127.0.0.1 advertised as localhost. */
    private final String host;

    public KafkaClusterProcesses(int size, Path dir) {
        this(size, dir, null);
    }

    /** {@code host}: the local address every node's client listener binds to and advertises (null: the default). */
    public KafkaClusterProcesses(int size, Path dir, String host) {
        this.dir = dir;
        this.host = host;
        for (int id = 1; id <= size; id++) {
            ports.put(id, EmbeddedKafkaCluster.freePort());
            voters.put(id, EmbeddedKafkaCluster.freePort());
        }
    }

    /** Starts every node at once (a node is ready only once a majority of the voters is up) and waits for all. */
    public KafkaClusterProcesses startAll() throws IOException {
        for (int id : ports.keySet()) {
            launch(id);
        }
        for (int id : ports.keySet()) {
            awaitReady(id);
        }
        return this;
    }

    /** Starts node {@code id} again on its port and data directory, and waits until it answers clients. */
    public void start(int id) throws IOException {
        launch(id);
        awaitReady(id);
    }

    /** SIGKILL: no controlled shutdown, no flush; the cluster notices when the node's session times out. */
    public void kill(int id) throws InterruptedException {
        Process p = processes.remove(id);
        if (p != null) {
            p.destroyForcibly().waitFor();
        }
    }

    /** SIGTERM: a controlled shutdown (leadership moves away first), waited for. */
    public void stop(int id) throws InterruptedException {
        Process p = processes.remove(id);
        if (p != null) {
            p.destroy();
            p.waitFor();
        }
    }

    public boolean isRunning(int id) {
        Process p = processes.get(id);
        return p != null && p.isAlive();
    }

    public String bootstrapServers() {
        String advertised = host == null ? "localhost" : host;
        return ports.values().stream().map(p -> advertised + ":" + p).collect(Collectors.joining(","));
    }

    public Map<String, Object> clientConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return c;
    }

    public java.util.Set<Integer> nodeIds() {
        return ports.keySet();
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : processes.values()) {
            p.destroyForcibly();
        }
        for (Process p : processes.values()) {
            p.waitFor();
        }
        processes.clear();
    }

    private void launch(int id) throws IOException {
        if (isRunning(id)) {
            throw new IllegalStateException("node " + id + " is running");
        }
        Files.deleteIfExists(readyFile(id));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String votersArg = voters.entrySet().stream().map(v -> v.getKey() + ":" + v.getValue()).collect(Collectors.joining(","));
        Path log = dir.resolve("kafka-" + id + ".log");
        Process p = new ProcessBuilder(java, "-Xmx384m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dlog4j2.configurationFile=" + logConfig().toUri(),
                "-cp", System.getProperty("java.class.path"), KafkaNodeMain.class.getName(),
                String.valueOf(id), String.valueOf(ports.get(id)), dir.resolve("node-" + id).toString(), clusterId, votersArg,
                readyFile(id).toString(), host == null ? "" : host)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        processes.put(id, p);
    }

    private void awaitReady(int id) throws IOException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (!Files.exists(readyFile(id))) {
            Process p = processes.get(id);
            if (p == null || !p.isAlive()) {
                throw new IllegalStateException("Kafka node " + id + " exited while starting: see " + dir.resolve("kafka-" + id + ".log"));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Kafka node " + id + " not ready within 120 s: see " + dir.resolve("kafka-" + id + ".log"));
            }
            try {
                Thread.sleep(50); // polling for the child's ready file
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    private Path readyFile(int id) {
        return dir.resolve("kafka-" + id + ".ready");
    }

    private Path logConfig() throws IOException {
        Path f = dir.resolve("log4j2-kafka.xml");
        if (!Files.exists(f)) {
            Files.writeString(f, """
                    <?xml version="1.0" encoding="UTF-8"?>
                    <Configuration status="WARN" shutdownHook="disable">
                      <Appenders>
                        <Console name="stderr" target="SYSTEM_ERR">
                          <PatternLayout pattern="%d{HH:mm:ss.SSS} %-5level [%t] %c{1} - %msg%n"/>
                        </Console>
                      </Appenders>
                      <Loggers>
                        <Logger name="dev.llmmeter.devkit" level="INFO"/>
                        <Root level="WARN"><AppenderRef ref="stderr"/></Root>
                      </Loggers>
                    </Configuration>
                    """);
        }
        return f;
    }

    /** One node, in a child JVM: args NODE_ID PORT DATA_DIR CLUSTER_ID VOTERS(id:port,...) READY_FILE [HOST]. */
    public static final class KafkaNodeMain {
        private KafkaNodeMain() {
        }

        public static void main(String[] args) throws IOException {
            Map<Integer, Integer> voters = new LinkedHashMap<>();
            for (String v : args[4].split(",")) {
                String[] kv = v.split(":");
                voters.put(Integer.parseInt(kv[0]), Integer.parseInt(kv[1]));
            }
            EmbeddedKafka node = EmbeddedKafka.builder().port(Integer.parseInt(args[1])).dataDir(Path.of(args[2]))
                    .cluster(Integer.parseInt(args[0]), voters, args[3]).startTimeout(java.time.Duration.ofSeconds(120))
                    .host(args.length > 6 && !args[6].isEmpty() ? args[6] : null).build();
            Runtime.getRuntime().addShutdownHook(new Thread(node::stop, "kafka-node-stop"));
            node.start();
            Files.writeString(Path.of(args[5]), node.bootstrapServers());
            node.awaitShutdown();
        }
    }
}
