package dev.llmmeter.devkit;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialDeletion;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real Apache Kafka node, in process: KRaft combined mode (the node is both broker and controller), everything
 * bound to 127.0.0.1. Alone (the default) it is a single-node cluster, with settings for one node so that
 * transactions (exactly-once) work; as one node of a cluster ({@link Builder#cluster}, see
 * {@link EmbeddedKafkaCluster}) every node is a controller voter, and with three or more nodes the internal and new
 * topics get three replicas and {@code min.insync.replicas=2}.
 *
 * <p>The data directory is formatted on first use ({@link Formatter}, what {@code kafka-storage.sh format}
 * runs); a directory that already holds a {@code meta.properties} is reused as it is, with its cluster id,
 * topics and records. {@link #start()} returns once the broker answers a client; {@link #stop()} shuts it
 * down cleanly and keeps the data, so {@code start()} may be called again (same port, same data);
 * {@link #close()} stops it and deletes the data directory when it was a temporary one.
 *
 * <p>Listeners: {@code CLIENT} on the client port (PLAINTEXT, or SASL_PLAINTEXT with PLAIN and SCRAM-SHA-512
 * when users are given), bound to 127.0.0.1 and advertised as {@code localhost:PORT} unless {@link Builder#host}
 * names another local address, also used broker-to-broker; {@code CONTROLLER} (PLAINTEXT, loopback only) on a free
 * port picked at each start.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final int DEFAULT_NODE_ID = 1;
    private static final String BIND_HOST = "127.0.0.1";
    private static final String ADVERTISED_HOST = "localhost";
    private static final String CLIENT_LISTENER = "CLIENT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final String META_PROPERTIES = "meta.properties";
    /** The broker's own user on a SASL client listener (broker-to-broker traffic, e.g. transaction markers). */
    private static final String INTERNAL_USER = "__embedded_broker";
    private static final Pattern USER_NAME = Pattern.compile("[A-Za-z0-9._@+-]+");
    /** SCRAM-SHA-512 iterations for the users' credentials (Kafka's minimum is 4096). */
    private static final int SCRAM_ITERATIONS = 4096;

    private final int requestedPort;
    private final Path requestedDataDir;
    private final Map<String, String> users;
    private final Duration startTimeout;
    private final Map<String, String> overrides;
    private final List<String> superUsers;
    private final int nodeId;
    /** Every voter's controller port, by node id; empty for a single node (its controller port is picked at each start). */
    private final Map<Integer, Integer> voters;
    private final String newClusterId;
    /** The client listener's address and the host it is advertised as. */
    private final String clientBindHost;
    private final String clientAdvertisedHost;

    private int port = -1;
    private Path dataDir;
    private boolean ownsDataDir;
    private String clusterId;
    /** The broker's own PLAIN password on a SASL client listener: new at each start. */
    private String internalPassword;
    private KafkaRaftServer server;
    private boolean closed;

    private EmbeddedKafka(Builder b) {
        this.requestedPort = b.port;
        this.requestedDataDir = b.dataDir;
        this.users = Collections.unmodifiableMap(new LinkedHashMap<>(b.users));
        this.startTimeout = b.startTimeout;
        this.overrides = Map.copyOf(b.overrides);
        this.superUsers = b.superUsers == null ? null : List.copyOf(b.superUsers);
        this.nodeId = b.nodeId;
        this.voters = Collections.unmodifiableMap(new java.util.TreeMap<>(b.voters));
        this.newClusterId = b.clusterId;
        this.clientBindHost = b.host == null ? BIND_HOST : b.host;
        this.clientAdvertisedHost = b.host == null ? ADVERTISED_HOST : b.host;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options for an {@link EmbeddedKafka}; nothing starts until {@link EmbeddedKafka#start()}. */
    public static final class Builder {
        private int port;
        private Path dataDir;
        private final Map<String, String> users = new LinkedHashMap<>();
        private Duration startTimeout = Duration.ofSeconds(60);
        private final Map<String, String> overrides = new LinkedHashMap<>();
        private List<String> superUsers;
        private int nodeId = DEFAULT_NODE_ID;
        private final Map<Integer, Integer> voters = new LinkedHashMap<>();
        private String clusterId;
        private String host;

        private Builder() {
        }

        /**
         * The local address the client listener binds to and is advertised as (e.g. the host side of a veth pair, so
         * that a client in another network namespace reaches the broker there too); null (the default) is 127.0.0.1,
         * advertised as {@code localhost}. The controller listener stays on 127.0.0.1.
         */
        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /**
         * Makes this node {@code nodeId} of a cluster whose controller voters are {@code voters} (node id to controller
         * port on 127.0.0.1, this node among them); a new data directory is formatted with {@code clusterId}, the same
         * for every node. Internal topics and new topics get min(3, nodes) replicas, and with three or more nodes
         * {@code min.insync.replicas=2}: a write is acknowledged once two copies have it, and one node may be lost.
         */
        public Builder cluster(int nodeId, Map<Integer, Integer> voters, String clusterId) {
            if (!voters.containsKey(nodeId)) {
                throw new IllegalArgumentException("node " + nodeId + " is not among the voters " + voters.keySet());
            }
            this.nodeId = nodeId;
            this.voters.clear();
            this.voters.putAll(voters);
            this.clusterId = Objects.requireNonNull(clusterId);
            return this;
        }

        /**
         * Turns on KRaft's {@code StandardAuthorizer}: every other SASL user needs ACLs for what it does. The
         * broker itself (its own user, and the loopback-only controller listener) and these users are super users.
         */
        public Builder authorizer(String... superUsers) {
            this.superUsers = List.of(superUsers);
            return this;
        }

        /** The client listener's port on 127.0.0.1; 0 (the default) picks a free one at the first start. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /** Where the broker keeps its data; null (the default) is a temporary directory deleted on close. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /**
         * Makes the client listener SASL_PLAINTEXT, with mechanisms PLAIN and SCRAM-SHA-512, for these users
         * (name to password). An empty map (the default) leaves it PLAINTEXT. SCRAM credentials are
         * (re)written at every start, and SCRAM users not in the map are removed.
         */
        public Builder sasl(Map<String, String> users) {
            this.users.clear();
            users.forEach((user, password) -> {
                if (user == null || !USER_NAME.matcher(user).matches() || user.equals(INTERNAL_USER)) {
                    throw new IllegalArgumentException("bad SASL user name '" + user + "': use letters, digits and . _ @ + -");
                }
                if (password == null || password.isEmpty()) {
                    throw new IllegalArgumentException("SASL user " + user + " needs a non-empty password");
                }
                this.users.put(user, password);
            });
            return this;
        }

        /** How long {@link EmbeddedKafka#start()} waits for the broker to answer (default 60 s). */
        public Builder startTimeout(Duration startTimeout) {
            this.startTimeout = Objects.requireNonNull(startTimeout);
            return this;
        }

        /** A broker setting on top of the defaults here (listeners and directories are not overridable). */
        public Builder brokerConfig(String key, String value) {
            this.overrides.put(key, value);
            return this;
        }

        public EmbeddedKafka build() {
            return new EmbeddedKafka(this);
        }
    }

    /** Why the broker could not start, in one readable sentence. */
    public static final class BrokerStartException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public BrokerStartException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Formats the data directory if it is new, starts the broker and blocks until it answers clients.
     *
     * @return this
     * @throws BrokerStartException when the port is taken, the data directory is unusable, or the broker
     *                              fails or does not answer within the start timeout
     */
    public synchronized EmbeddedKafka start() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        if (server != null) {
            throw new IllegalStateException("already running on " + bootstrapServers());
        }
        long started = System.nanoTime();
        if (port < 0) {
            port = requestedPort == 0 ? freePort() : requestedPort;
        }
        checkPortFree(clientBindHost, port);
        prepareDataDir();
        int controllerPort = voters.isEmpty() ? freePort() : voters.get(nodeId);
        internalPassword = randomSecret();
        KafkaRaftServer s;
        try {
            // KafkaRaftServer reads meta.properties and the bootstrap metadata that format wrote.
            s = new KafkaRaftServer(new KafkaConfig(brokerConfig(controllerPort), false), Time.SYSTEM);
        } catch (RuntimeException e) {
            throw new BrokerStartException("cannot start the broker on " + dataDir + ": " + rootMessage(e), e);
        }
        try {
            s.startup();
        } catch (RuntimeException e) {
            shutdownQuietly(s);
            throw new BrokerStartException("broker failed to start: " + rootMessage(e), e);
        }
        server = s;
        try {
            awaitReady(started);
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
        LOG.info("Kafka broker ready on {} in {} ms (data dir {}, cluster id {})", bootstrapServers(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), dataDir, clusterId);
        return this;
    }

    /** Shuts the broker down cleanly and waits for it; keeps the data. Does nothing when not running. */
    public synchronized void stop() {
        KafkaRaftServer s = server;
        server = null;
        if (s != null) {
            long started = System.nanoTime();
            s.shutdown();
            s.awaitShutdown();
            LOG.info("Kafka broker on localhost:{} stopped in {} ms", port,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        }
    }

    /** Stops the broker and, when the data directory was a temporary one, deletes it. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stop();
        if (ownsDataDir && dataDir != null) {
            try {
                Utils.delete(dataDir.toFile());
            } catch (IOException e) {
                LOG.warn("Could not delete the broker's temporary data dir {}: {}", dataDir, e.toString());
            }
        }
    }

    /** {@code localhost:PORT} (or {@link Builder#host}'s); the port is known once the broker has started. */
    public synchronized String bootstrapServers() {
        if (port < 0) {
            throw new IllegalStateException("not started yet: the port is picked at the first start");
        }
        return clientAdvertisedHost + ":" + port;
    }

    /** This node's id (1 for a single node). */
    public int nodeId() {
        return nodeId;
    }

    /** The nodes of this node's cluster: 1 for a single node. */
    public int clusterSize() {
        return Math.max(1, voters.size());
    }

    /** The replicas of the internal topics and the topics created with the broker's default: min(3, nodes). */
    public int replicationFactor() {
        return Math.min(3, clusterSize());
    }

    /** {@code min.insync.replicas}: 2 with three or more replicas, else 1. */
    public int minInsyncReplicas() {
        return replicationFactor() >= 3 ? 2 : 1;
    }

    /** The client listener's port, or -1 before the first start. */
    public synchronized int port() {
        return port;
    }

    /** The data directory, or null before the first start when it is a temporary one. */
    public synchronized Path dataDir() {
        return dataDir;
    }

    /** The cluster id from the data directory's {@code meta.properties}, or null before the first start. */
    public synchronized String clusterId() {
        return clusterId;
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    /** True when the client listener is SASL_PLAINTEXT. */
    public boolean saslEnabled() {
        return !users.isEmpty();
    }

    /**
     * Client settings to reach this broker: {@code bootstrap.servers} and, when SASL is on, SASL_PLAINTEXT
     * with PLAIN as the first user given to {@link Builder#sasl(Map)}.
     */
    public Map<String, Object> clientConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        if (saslEnabled()) {
            Map.Entry<String, String> user = users.entrySet().iterator().next();
            c.putAll(saslClientConfig("PLAIN", user.getKey(), user.getValue()));
        }
        return c;
    }

    /** Creates a topic with the cluster's replication factor (one replica on a single node) and waits until it exists. */
    public void createTopic(String name, int partitions) {
        try (Admin admin = Admin.create(clientConfig())) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) replicationFactor()))).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create topic " + name + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + name, e);
        }
    }

    /** Client settings for SASL_PLAINTEXT with {@code mechanism} (PLAIN or SCRAM-SHA-512) as this user. */
    public static Map<String, Object> saslClientConfig(String mechanism, String username, String password) {
        String module = switch (mechanism) {
            case "PLAIN" -> "org.apache.kafka.common.security.plain.PlainLoginModule";
            case "SCRAM-SHA-512" -> "org.apache.kafka.common.security.scram.ScramLoginModule";
            default -> throw new IllegalArgumentException("unsupported SASL mechanism " + mechanism);
        };
        Map<String, Object> c = new LinkedHashMap<>();
        c.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        c.put(SaslConfigs.SASL_MECHANISM, mechanism);
        c.put(SaslConfigs.SASL_JAAS_CONFIG, module + " required username=" + quote(username) + " password=" + quote(password) + ";");
        return c;
    }

    /**
     * Blocks until the running broker has shut down, by {@link #stop()} from another thread or on its own
     * (a fatal error). Returns at once when it is not running.
     */
    public void awaitShutdown() {
        KafkaRaftServer s;
        synchronized (this) {
            s = server;
        }
        if (s != null) {
            s.awaitShutdown();
        }
    }

    private void prepareDataDir() {
        if (dataDir == null) {
            if (requestedDataDir == null) {
                try {
                    dataDir = Files.createTempDirectory("embedded-kafka");
                } catch (IOException e) {
                    throw new BrokerStartException("cannot create a temporary data dir: " + e.getMessage(), e);
                }
                ownsDataDir = true;
            } else {
                dataDir = requestedDataDir.toAbsolutePath().normalize();
            }
        }
        Path meta = dataDir.resolve(META_PROPERTIES);
        if (Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
            throw new BrokerStartException("data dir " + dataDir + " is not a directory", null);
        }
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new BrokerStartException("cannot create data dir " + dataDir + ": " + describe(e), e);
        }
        if (!Files.isWritable(dataDir)) {
            throw new BrokerStartException("data dir " + dataDir + " is not writable", null);
        }
        if (!Files.exists(meta)) {
            try (Stream<Path> entries = Files.list(dataDir)) {
                if (entries.anyMatch(e -> !e.getFileName().toString().equals(".lock"))) {
                    throw new BrokerStartException("data dir " + dataDir
                            + " is not empty and is not a Kafka data dir (no meta.properties): use an empty or new directory", null);
                }
            } catch (IOException e) {
                throw new BrokerStartException("cannot read data dir " + dataDir + ": " + describe(e), e);
            }
            checkNotLocked(dataDir);
            format(newClusterId != null ? newClusterId : Uuid.randomUuid().toString());
        } else {
            checkNotLocked(dataDir);
        }
        clusterId = readClusterId(meta);
    }

    /** What {@code kafka-storage.sh format --cluster-id ID} does, for this node's one directory. */
    private void format(String newClusterId) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            new Formatter()
                    .setPrintStream(print)
                    .setNodeId(nodeId)
                    .setClusterId(newClusterId)
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setMetadataLogDirectory(dataDir.toString())
                    .addDirectory(dataDir.toString())
                    .run();
        } catch (Exception e) {
            throw new BrokerStartException("cannot format data dir " + dataDir + ": " + rootMessage(e), e);
        }
        LOG.info("Formatted {}: {}", dataDir, out.toString(StandardCharsets.UTF_8).trim());
    }

    /** Kafka holds a lock on {@code .lock} in each log dir while it runs: fail early, in one sentence. */
    private static void checkNotLocked(Path dir) {
        Path lockFile = dir.resolve(".lock");
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new BrokerStartException("data dir " + dir + " is in use by another Kafka broker", null);
            }
            lock.release();
        } catch (OverlappingFileLockException e) {
            throw new BrokerStartException("data dir " + dir + " is in use by another broker in this process", e);
        } catch (IOException e) {
            throw new BrokerStartException("cannot lock data dir " + dir + ": " + describe(e), e);
        }
    }

    private static String readClusterId(Path meta) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new BrokerStartException("cannot read " + meta + ": " + describe(e), e);
        }
        String id = p.getProperty("cluster.id");
        if (id == null) {
            throw new BrokerStartException(meta + " has no cluster.id: not a KRaft data dir", null);
        }
        return id;
    }

    private Map<String, Object> brokerConfig(int controllerPort) {
        Map<String, Object> c = new LinkedHashMap<>();
        // One node: every internal topic with one replica, and transactions (EOS) allowed. Three or more: three
        // replicas, and a write needs two of them (one node may be lost without losing an acknowledged write).
        String replicas = String.valueOf(replicationFactor());
        String minIsr = String.valueOf(minInsyncReplicas());
        c.put("offsets.topic.replication.factor", replicas);
        c.put("offsets.topic.num.partitions", "1");
        c.put("transaction.state.log.replication.factor", replicas);
        c.put("transaction.state.log.min.isr", minIsr);
        c.put("transaction.state.log.num.partitions", "1");
        c.put("share.coordinator.state.topic.replication.factor", replicas);
        c.put("share.coordinator.state.topic.min.isr", minIsr);
        c.put("share.coordinator.state.topic.num.partitions", "1");
        c.put("min.insync.replicas", minIsr);
        c.put("default.replication.factor", replicas);
        c.put("num.partitions", "1");
        c.put("auto.create.topics.enable", "false");
        c.put("group.initial.rebalance.delay.ms", "0");
        // The log cleaner's dedupe buffer is 128 MiB of heap by default: too much for a dev broker in the app's JVM.
        c.put("log.cleaner.dedupe.buffer.size", String.valueOf(8L * 1024 * 1024));
        // After a crash (kill -9) the controller keeps the old broker session alive for the session timeout and
        // refuses the restarted broker's registration until then: 9 s by default, shorter here.
        c.put("broker.session.timeout.ms", "4000");
        c.put("broker.heartbeat.interval.ms", "1000");
        c.putAll(overrides);
        if (superUsers != null) {
            c.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
            StringBuilder supers = new StringBuilder("User:" + INTERNAL_USER + ";User:ANONYMOUS");
            superUsers.forEach(u -> supers.append(";User:").append(u));
            c.put("super.users", supers.toString());
        }

        c.put("process.roles", "broker,controller");
        c.put("node.id", String.valueOf(nodeId));
        c.put("controller.quorum.voters", voters.isEmpty() ? nodeId + "@" + BIND_HOST + ":" + controllerPort
                : String.join(",", voters.entrySet().stream().map(v -> v.getKey() + "@" + BIND_HOST + ":" + v.getValue()).toList()));
        c.put("controller.listener.names", CONTROLLER_LISTENER);
        c.put("listeners", CLIENT_LISTENER + "://" + clientBindHost + ":" + port + ","
                + CONTROLLER_LISTENER + "://" + BIND_HOST + ":" + controllerPort);
        c.put("advertised.listeners", CLIENT_LISTENER + "://" + clientAdvertisedHost + ":" + port);
        c.put("inter.broker.listener.name", CLIENT_LISTENER);
        c.put("listener.security.protocol.map", CLIENT_LISTENER + ":" + (saslEnabled() ? "SASL_PLAINTEXT" : "PLAINTEXT")
                + "," + CONTROLLER_LISTENER + ":PLAINTEXT");
        c.put("log.dirs", dataDir.toString());
        c.put("metadata.log.dir", dataDir.toString());
        if (saslEnabled()) {
            String prefix = "listener.name." + CLIENT_LISTENER.toLowerCase(Locale.ROOT) + ".";
            c.put(prefix + "sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-512");
            c.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
            StringBuilder plain = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required")
                    .append(" username=").append(quote(INTERNAL_USER))
                    .append(" password=").append(quote(internalPassword))
                    .append(" user_").append(INTERNAL_USER).append('=').append(quote(internalPassword));
            users.forEach((user, password) -> plain.append(" user_").append(user).append('=').append(quote(password)));
            c.put(prefix + "plain.sasl.jaas.config", plain.append(';').toString());
            c.put(prefix + "scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        }
        return c;
    }

    /** Polls the client listener until the broker answers; on SASL, also writes the users' SCRAM credentials. */
    private void awaitReady(long startedNanos) {
        long deadline = startedNanos + startTimeout.toNanos();
        Map<String, Object> admin = new LinkedHashMap<>();
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
        admin.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, 50);
        admin.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
        if (saslEnabled()) {
            admin.putAll(saslClientConfig("PLAIN", INTERNAL_USER, internalPassword));
        }
        try (Admin client = Admin.create(admin)) {
            Throwable last = null;
            while (true) {
                try {
                    int nodes = client.describeCluster(new DescribeClusterOptions().timeoutMs(2000)).nodes().get().size();
                    if (nodes > 0) {
                        break;
                    }
                } catch (ExecutionException e) {
                    last = e.getCause();
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new BrokerStartException("broker on " + bootstrapServers() + " did not answer within "
                            + startTimeout.toSeconds() + " s" + (last == null ? "" : ": " + rootMessage(last)), last);
                }
                Thread.sleep(50);
            }
            if (saslEnabled()) {
                syncScramUsers(client);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerStartException("interrupted while waiting for the broker to start", e);
        } catch (ExecutionException e) {
            throw new BrokerStartException("cannot write SCRAM credentials: " + rootMessage(e), e);
        }
    }

    /** Upserts every user's SCRAM-SHA-512 credential, removes other SCRAM users, and waits until the broker has them. */
    private void syncScramUsers(Admin client) throws ExecutionException, InterruptedException {
        List<UserScramCredentialAlteration> changes = new ArrayList<>();
        Map<String, UserScramCredentialsDescription> existing = client.describeUserScramCredentials().all().get();
        existing.forEach((user, d) -> {
            if (!users.containsKey(user)) {
                d.credentialInfos().forEach(info -> changes.add(new UserScramCredentialDeletion(user, info.mechanism())));
            }
        });
        users.forEach((user, password) -> changes.add(new UserScramCredentialUpsertion(user,
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS), password)));
        client.alterUserScramCredentials(changes).all().get();
        // The controller has them now; the broker applies the metadata a moment later.
        while (!client.describeUserScramCredentials().all().get().keySet().equals(users.keySet())) {
            Thread.sleep(20);
        }
    }

    private static void checkPortFree(String host, int port) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(InetAddress.getByName(host), port));
        } catch (IOException e) {
            throw new BrokerStartException("port " + port + " on " + host + " is already in use", e);
        }
    }

    private static int freePort() {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(InetAddress.getByName(BIND_HOST), 0));
            return probe.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on " + BIND_HOST, e);
        }
    }

    private static void shutdownQuietly(KafkaRaftServer s) {
        try {
            s.shutdown();
            s.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.debug("Shutdown after a failed start failed too", e);
        }
    }

    private static String randomSecret() {
        byte[] b = new byte[18];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** A JAAS option value in double quotes; the JAAS parser (a StreamTokenizer) reads backslash escapes. */
    private static String quote(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    private static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory: " + e.getMessage();
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied: " + e.getMessage();
        }
        if (e instanceof FileAlreadyExistsException) {
            return "not a directory: " + e.getMessage();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** The innermost cause's message: Kafka wraps the useful sentence in layers of exceptions. */
    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }
}
