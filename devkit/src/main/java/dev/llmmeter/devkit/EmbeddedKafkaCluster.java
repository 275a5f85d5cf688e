package dev.llmmeter.devkit;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;

/**
 * A Kafka cluster of N {@link EmbeddedKafka} nodes in this process, each both broker and controller (a quorum of N
 * voters), each with its own client port and data directory ({@code DIR/node-ID}). With three nodes, the internal
 * topics and every topic created with the broker's default have three replicas and {@code min.insync.replicas=2}.
 *
 * <p>Client ports are {@code port}, {@code port+1}, ... (0: free ones); controller ports are picked at each start.
 * The nodes start together (a node is ready only once a majority of the voters is up).
 */
public final class EmbeddedKafkaCluster implements AutoCloseable {
    private final List<EmbeddedKafka> nodes = new ArrayList<>();
    private final Path dataDir;
    private final boolean ownsDataDir;

    /**
     * @param size    nodes, 1 or more
     * @param port    the first node's client port, the others' follow; 0 picks free ones
     * @param dataDir parent of the nodes' data directories (node-1, node-2, ...), reused with their cluster id;
     *                null: a temporary directory, deleted on close
     */
    public EmbeddedKafkaCluster(int size, int port, Path dataDir) {
        if (size < 1) {
            throw new IllegalArgumentException("a cluster needs at least one node, got " + size);
        }
        if (port < 0 || port + size - 1 > 65535) {
            throw new IllegalArgumentException("ports " + port + ".." + (port + size - 1) + " are not all between 0 and 65535");
        }
        try {
            this.ownsDataDir = dataDir == null;
            this.dataDir = dataDir == null ? Files.createTempDirectory("embedded-kafka-cluster") : dataDir.toAbsolutePath().normalize();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary data dir", e);
        }
        Map<Integer, Integer> voters = new LinkedHashMap<>();
        for (int id = 1; id <= size; id++) {
            voters.put(id, freePort());
        }
        String clusterId = existingClusterId().orElse(Uuid.randomUuid().toString());
        for (int id = 1; id <= size; id++) {
            nodes.add(EmbeddedKafka.builder().port(port == 0 ? 0 : port + id - 1).dataDir(nodeDir(id))
                    .cluster(id, voters, clusterId).build());
        }
    }

    /** Starts every node at once and returns when all answer clients; on a failure stops the others and throws it. */
    public EmbeddedKafkaCluster start() {
        List<CompletableFuture<EmbeddedKafka>> starting = nodes.stream()
                .map(n -> CompletableFuture.supplyAsync(n::start)).toList();
        try {
            CompletableFuture.allOf(starting.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            nodes.forEach(EmbeddedKafka::stop);
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
        return this;
    }

    /** {@code localhost:P1,localhost:P2,...}, every node's client listener. */
    public String bootstrapServers() {
        return nodes.stream().map(EmbeddedKafka::bootstrapServers).collect(Collectors.joining(","));
    }

    /** Client settings for the cluster (bootstrap servers). */
    public Map<String, Object> clientConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return c;
    }

    public List<EmbeddedKafka> nodes() {
        return List.copyOf(nodes);
    }

    public Path dataDir() {
        return dataDir;
    }

    public String clusterId() {
        return nodes.get(0).clusterId();
    }

    /** Blocks until every node has shut down (by {@link #close()} from another thread, or on its own). */
    public void awaitShutdown() {
        nodes.forEach(EmbeddedKafka::awaitShutdown);
    }

    /** True while every node runs. */
    public boolean isRunning() {
        return nodes.stream().allMatch(EmbeddedKafka::isRunning);
    }

    /** Stops every node, the last ones together (a node's clean shutdown waits for a controller quorum). */
    @Override
    public void close() {
        List<CompletableFuture<Void>> stopping = nodes.stream().map(n -> CompletableFuture.runAsync(n::close)).toList();
        CompletableFuture.allOf(stopping.toArray(CompletableFuture[]::new)).join();
        if (ownsDataDir) {
            try {
                org.apache.kafka.common.utils.Utils.delete(dataDir.toFile());
            } catch (IOException e) {
                // a temporary directory: the OS cleans it eventually
            }
        }
    }

    private Path nodeDir(int id) {
        return dataDir.resolve("node-" + id);
    }

    /** The cluster id of a node already formatted under the data directory, so that the others join the same cluster. */
    private java.util.Optional<String> existingClusterId() {
        for (int id = 1; id <= 64; id++) {
            Path meta = nodeDir(id).resolve("meta.properties");
            if (Files.exists(meta)) {
                Properties p = new Properties();
                try (Reader r = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
                    p.load(r);
                } catch (IOException e) {
                    throw new EmbeddedKafka.BrokerStartException("cannot read " + meta + ": " + e.getMessage(), e);
                }
                return java.util.Optional.ofNullable(p.getProperty("cluster.id"));
            }
        }
        return java.util.Optional.empty();
    }

    static int freePort() {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            return probe.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on 127.0.0.1", e);
        }
    }
}
