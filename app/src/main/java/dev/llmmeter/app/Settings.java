package dev.llmmeter.app;

import dev.llmmeter.serve.http.SseHub;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.MeteringTopology;
import dev.llmmeter.topology.StoreNames;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Every setting of a metering process, in one place. Layers, lowest precedence first: built-in defaults, a
 * Kafka-style properties file, {@code METERING_*} environment variables, command-line flags
 * ({@link #load}). From the merged layers it hands out what each part needs: the topology's own settings
 * ({@link #metering()}), the Kafka Streams properties ({@link #streams()}), a Kafka client's
 * ({@link #client}), and the app's topic creation. Any Kafka client or Streams setting (security included)
 * passes through untouched.
 *
 * <p>Environment variables: {@code METERING_} is dropped, the rest lower-cased and {@code _} turned into
 * {@code .}; the result names a metering setting when {@code metering.<it>} is one, and a Kafka setting
 * otherwise. So {@code METERING_BOOTSTRAP_SERVERS=b:9092} sets {@code bootstrap.servers},
 * {@code METERING_SASL_JAAS_CONFIG} sets {@code sasl.jaas.config}, {@code METERING_STALE_MS} sets
 * {@code metering.stale.ms}. A {@code METERING_*} variable that names neither (a typo such as
 * {@code METERING_STALE_MSS}) is an error naming it, as an unknown {@code metering.*} key in the file is:
 * the {@code METERING_} namespace is ours, so nothing in it is passed on unread.
 */
public final class Settings {
    public static final String ENV_PREFIX = "METERING_";
    /** Read by the launcher and the log configuration, not settings. */
    public static final Set<String> NOT_SETTINGS = Set.of("METERING_JAVA_OPTS", "METERING_LOG_LEVEL");

    /** The app's own {@code metering.*} settings: creating the topics it reads and writes. The topology never reads them. */
    public static final String DELTAS_PARTITIONS = "metering.topic.deltas.partitions";
    public static final String TOPIC_REPLICATION = "metering.topic.replication.factor";
    public static final String CREATE_TOPICS = "metering.topic.create";
    /** {@code serve}'s readers: its bearer tokens, and the web origins that may read it through a browser. */
    public static final String HTTP_TOKENS_FILE = "metering.http.tokens.file";
    public static final String HTTP_CORS_ORIGINS = "metering.http.cors.origins";
    /** {@code serve}'s TLS: its certificate chain and private key, PEM files; both or neither. */
    public static final String HTTP_TLS_CERT = "metering.http.tls.cert";
    public static final String HTTP_TLS_KEY = "metering.http.tls.key";
    /** {@code serve}'s caps on SSE clients connected at once. */
    public static final String HTTP_SSE_MAX_CLIENTS = "metering.http.sse.max.clients";
    public static final String HTTP_SSE_MAX_CLIENTS_PER_TOKEN = "metering.http.sse.max.clients.per.token";
    private static final Pattern ORIGIN = Pattern.compile("https?://[^/\\s?#]+");
    /** The app's settings, one line each, in documentation order (after the topology's, {@link MeteringConfig#CONFIG}). */
    public static final ConfigDef APP_CONFIG = new ConfigDef()
            .define(DELTAS_PARTITIONS, ConfigDef.Type.INT, 4, ConfigDef.Range.atLeast(1), ConfigDef.Importance.MEDIUM,
                    "partitions of the input topic when the app creates it (fixed once the app has run: "
                            + "[Scaling out](#scaling-out))")
            .define(TOPIC_REPLICATION, ConfigDef.Type.SHORT, (short) -1, ConfigDef.LambdaValidator.with(
                            (name, value) -> {
                                if (value != null && (Short) value != -1 && (Short) value < 1) {
                                    throw new ConfigException(name, value, "must be -1 (the broker's default) or at least 1");
                                }
                            }, () -> "-1 or [1,...]"), ConfigDef.Importance.MEDIUM,
                    "replication of the topics the app creates; `-1`: the broker's default")
            .define(CREATE_TOPICS, ConfigDef.Type.BOOLEAN, true, ConfigDef.Importance.MEDIUM,
                    "create missing topics; `false`: fail at start if one is missing")
            .define(HTTP_TOKENS_FILE, ConfigDef.Type.STRING, "", ConfigDef.Importance.HIGH,
                    "`serve`: file of bearer tokens, one `TOKEN SCOPE` a line (scope `admin` or `tenant:NAME`); "
                            + "empty: no token needed, and an address other than loopback refused without `--allow-anonymous` "
                            + "([Security](#security))")
            .define(HTTP_TLS_CERT, ConfigDef.Type.STRING, "", ConfigDef.Importance.HIGH,
                    "`serve`: PEM file of the server's certificate chain, its own certificate first; with "
                            + "`metering.http.tls.key`, HTTPS (HTTP/2 and HTTP/1.1) instead of HTTP ([Security](#security))")
            .define(HTTP_TLS_KEY, ConfigDef.Type.STRING, "", ConfigDef.Importance.HIGH,
                    "`serve`: PEM file of the certificate's private key, unencrypted PKCS#8 (`BEGIN PRIVATE KEY`), RSA or EC")
            .define(HTTP_CORS_ORIGINS, ConfigDef.Type.LIST, "", ConfigDef.LambdaValidator.with(
                            (name, value) -> {
                                for (Object o : (List<?>) value) {
                                    if (!"*".equals(o) && !ORIGIN.matcher(String.valueOf(o)).matches()) {
                                        throw new ConfigException(name, o, "an origin is scheme://host[:port], or *");
                                    }
                                }
                            }, () -> "origins"), ConfigDef.Importance.MEDIUM,
                    "`serve` (and `run`): web origins whose pages may read the figures (`https://host[:port]`, comma-separated); "
                            + "`*`: any, only for anonymous use on loopback; empty: none")
            .define(HTTP_SSE_MAX_CLIENTS, ConfigDef.Type.INT, SseHub.Settings.DEFAULT_MAX_CLIENTS, ConfigDef.Range.atLeast(1),
                    ConfigDef.Importance.MEDIUM, "`serve` (and `run`): `/events` clients connected at once; one more is answered 503 "
                            + "([Security](#security))")
            .define(HTTP_SSE_MAX_CLIENTS_PER_TOKEN, ConfigDef.Type.INT, SseHub.Settings.DEFAULT_MAX_CLIENTS_PER_TOKEN,
                    ConfigDef.Range.atLeast(1), ConfigDef.Importance.MEDIUM,
                    "`serve`: `/events` clients connected at once with one bearer token; one more is answered 503");

    public static final String DEFAULT_APPLICATION_ID = "llm-metering";
    /**
     * {@code commit.interval.ms} under exactly-once when the user sets none (Kafka's own default there is
     * 100 ms). Each commit is a transaction and writes every session changed since the last one, so ten a
     * second cost a tenth of the throughput; the processors ask for a commit right after their
     * once-a-second output anyway, so stats are not delayed by it. At-least-once keeps Kafka's 30 s.
     */
    public static final long EXACTLY_ONCE_COMMIT_INTERVAL_MS = 1000;
    /**
     * {@code session.timeout.ms} when the user sets none (the consumer's own default is 45 s): how long a
     * member that died without a word keeps its tasks, the stats combiner's among them. With 10 s, stats
     * resume about 12-14 s after a crash (see FailoverIT). Streams heartbeats from a background thread, so
     * a busy stream thread does not miss them; the broker's {@code group.min.session.timeout.ms} is 6 s.
     */
    public static final int SESSION_TIMEOUT_MS = 10_000;
    /** {@code heartbeat.interval.ms} when the user sets none: how soon a survivor hears of a rebalance. */
    public static final int HEARTBEAT_INTERVAL_MS = 1_000;
    /** Where a user may set the main consumer's group.instance.id, in the order Streams prefers them. */
    static final List<String> GROUP_INSTANCE_ID_KEYS = List.of(
            StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
            StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
            ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);

    /** The client-config prefixes Kafka Streams routes to one client, or to the topics it creates. */
    private static final List<String> KAFKA_PREFIXES = List.of(StreamsConfig.MAIN_CONSUMER_PREFIX,
            StreamsConfig.RESTORE_CONSUMER_PREFIX, StreamsConfig.GLOBAL_CONSUMER_PREFIX, StreamsConfig.CONSUMER_PREFIX,
            StreamsConfig.PRODUCER_PREFIX, StreamsConfig.ADMIN_CLIENT_PREFIX);
    /**
     * Characters Kafka allows in a topic name; the application id prefixes the internal topics
     * ({@code <id>-sessions-changelog}, ...), so it is held to them too.
     */
    private static final Pattern TOPIC_CHARACTERS = Pattern.compile("[a-zA-Z0-9._-]+");
    /** The address the settings probe's admin client is given: a literal, so that building it resolves no name. */
    private static final String PROBE_ADDRESS = "127.0.0.1:9";
    /** Kafka's longest topic name. */
    static final int MAX_TOPIC_NAME = 249;
    /** The longest suffix Kafka Streams adds to the application id for this topology's internal topics. */
    static final int LONGEST_INTERNAL_SUFFIX = java.util.stream.Stream.of(
                    "-" + StoreNames.SESSIONS + "-changelog", "-" + StoreNames.STREAM_ENDINGS + "-changelog",
                    "-" + StoreNames.PARTIALS + "-changelog", "-" + StoreNames.READINGS + "-changelog",
                    "-" + StoreNames.COMBINER_STATE + "-changelog", "-" + StoreNames.PARTIALS_TOPIC + "-repartition")
            .mapToInt(String::length).max().orElseThrow();

    private final Properties merged;
    private final MeteringConfig metering;
    private final int deltasPartitions;
    private final short replicationFactor;
    private final boolean createTopics;
    private final String httpTokensFile;
    private final String httpTlsCert;
    private final String httpTlsKey;
    private final List<String> corsOrigins;
    private final int sseMaxClients;
    private final int sseMaxClientsPerToken;

    private Settings(Properties merged) {
        this.merged = copy(merged);
        try {
            this.metering = MeteringConfig.fromMap(merged, APP_CONFIG.names());
        } catch (IllegalArgumentException e) {
            throw new SettingsException(e.getMessage());
        }
        Map<String, Object> app;
        try {
            app = APP_CONFIG.parse(only(merged, APP_CONFIG.names()));
        } catch (ConfigException e) {
            throw new SettingsException(e.getMessage());
        }
        this.deltasPartitions = (Integer) app.get(DELTAS_PARTITIONS);
        this.replicationFactor = (Short) app.get(TOPIC_REPLICATION);
        this.createTopics = (Boolean) app.get(CREATE_TOPICS);
        String tokens = ((String) app.get(HTTP_TOKENS_FILE)).strip();
        this.httpTokensFile = tokens.isEmpty() ? null : tokens;
        this.httpTlsCert = blankAsNull((String) app.get(HTTP_TLS_CERT));
        this.httpTlsKey = blankAsNull((String) app.get(HTTP_TLS_KEY));
        @SuppressWarnings("unchecked")
        List<String> origins = (List<String>) app.get(HTTP_CORS_ORIGINS);
        this.corsOrigins = List.copyOf(origins);
        this.sseMaxClients = (Integer) app.get(HTTP_SSE_MAX_CLIENTS);
        this.sseMaxClientsPerToken = (Integer) app.get(HTTP_SSE_MAX_CLIENTS_PER_TOKEN);
    }

    /** Settings already merged (tests, and processes that build them in code). */
    public static Settings of(Properties merged) {
        return new Settings(merged);
    }

    /**
     * The layers merged: the properties file (none when {@code file} is null), then the {@code METERING_*}
     * variables of {@code env}, then {@code flags}.
     *
     * @throws SettingsException naming the file or the setting, for a missing or unreadable file or a bad value
     */
    public static Settings load(Path file, Map<String, String> env, Properties flags) {
        return new Settings(layered(loadFile(file), fromEnvironment(env), flags));
    }

    /**
     * Every Kafka setting checked the way the clients will check it, before any client is made or anything
     * written: the Kafka Streams config (with our defaults), each client's config derived from it (main, restore
     * and global consumer, producer, admin: Kafka's own validators, prefixed settings included), the group
     * timings the broker would refuse only at the first join, the application id as a topic-name prefix, and the
     * client's construction itself (an admin client is built and closed at once: that parses
     * {@code sasl.jaas.config} and loads the TLS key and trust stores). {@code bootstrap.servers} must be set.
     *
     * @throws SettingsException naming the setting, in one line
     */
    public void requireValidKafka() {
        Properties props = streams();
        StreamsConfig streamsConfig;
        try {
            streamsConfig = new StreamsConfig(props);
        } catch (ConfigException e) {
            throw new SettingsException("bad Kafka setting: " + e.getMessage());
        }
        String applicationId = streamsConfig.getString(StreamsConfig.APPLICATION_ID_CONFIG);
        if (!TOPIC_CHARACTERS.matcher(applicationId).matches()
                || applicationId.length() > MAX_TOPIC_NAME - LONGEST_INTERNAL_SUFFIX) {
            throw new SettingsException("application.id must be 1 to " + (MAX_TOPIC_NAME - LONGEST_INTERNAL_SUFFIX)
                    + " letters, digits, '.', '_' or '-' (it names the consumer group and prefixes the internal topics), got '"
                    + applicationId + "'");
        }
        ConsumerConfig main;
        try {
            main = new ConsumerConfig(withDeserializers(streamsConfig.getMainConsumerConfigs(applicationId, "check", 0)));
            new ConsumerConfig(withDeserializers(streamsConfig.getRestoreConsumerConfigs("check")));
            new ConsumerConfig(withDeserializers(streamsConfig.getGlobalConsumerConfigs("check")));
            new ProducerConfig(withSerializers(streamsConfig.getProducerConfigs("check")));
            new AdminClientConfig(streamsConfig.getAdminConfigs("check"));
        } catch (ConfigException e) {
            throw new SettingsException("bad Kafka setting: " + e.getMessage());
        }
        if (classicGroupProtocol(props)) {
            int session = main.getInt(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
            int heartbeat = main.getInt(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG);
            if (session <= 0 || heartbeat <= 0) {
                throw new SettingsException("session.timeout.ms and heartbeat.interval.ms must be positive, got "
                        + session + " and " + heartbeat);
            }
            if (heartbeat >= session) {
                throw new SettingsException("heartbeat.interval.ms (" + heartbeat + ") must be lower than session.timeout.ms ("
                        + session + ")");
            }
        }
        Map<String, Object> probeConfig = new HashMap<>(streamsConfig.getAdminConfigs(MeteringApp.SETUP_CLIENT_ID));
        // The settings, not the address: a name that does not resolve (yet) is the cluster check's to report.
        probeConfig.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, PROBE_ADDRESS);
        Admin probe;
        try {
            probe = Admin.create(probeConfig);
        } catch (KafkaException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            // The cause says which setting ("JAAS config entry not terminated by semi-colon", a key store's path, ...).
            throw new SettingsException("bad Kafka client settings: " + (root.getMessage() == null ? root : root.getMessage()));
        }
        probe.close(Duration.ZERO);
    }

    /**
     * Whether {@code key} is a setting of Kafka Streams or one of its clients, plain or with the prefix Streams
     * routes to one client ({@code producer.}, {@code main.consumer.}, ...) or to its topics ({@code topic.}).
     */
    public static boolean isKafkaSetting(String key) {
        for (String prefix : KAFKA_PREFIXES) {
            if (key.startsWith(prefix)) {
                return isClientSetting(key.substring(prefix.length()));
            }
        }
        if (key.startsWith(StreamsConfig.TOPIC_PREFIX)) {
            return TOPIC_CONFIG_NAMES.contains(key.substring(StreamsConfig.TOPIC_PREFIX.length()));
        }
        return StreamsConfig.configDef().names().contains(key) || isClientSetting(key);
    }

    private static boolean isClientSetting(String key) {
        return ConsumerConfig.configNames().contains(key) || ProducerConfig.configNames().contains(key)
                || AdminClientConfig.configNames().contains(key);
    }

    /** The topic-level config names ({@code cleanup.policy}, ...), from Kafka's own constants. */
    private static final Set<String> TOPIC_CONFIG_NAMES = topicConfigNames();

    private static Set<String> topicConfigNames() {
        Set<String> names = new TreeSet<>();
        for (java.lang.reflect.Field f : TopicConfig.class.getFields()) {
            if (f.getName().endsWith("_CONFIG") && f.getType() == String.class) {
                try {
                    names.add((String) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return Collections.unmodifiableSet(names);
    }

    private static Map<String, Object> withSerializers(Map<String, Object> producer) {
        Map<String, Object> m = new HashMap<>(producer);
        m.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        m.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return m;
    }

    private static Map<String, Object> withDeserializers(Map<String, Object> consumer) {
        Map<String, Object> m = new HashMap<>(consumer);
        m.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        m.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return m;
    }

    /** The merged layers, built-in defaults not included. */
    public Properties all() {
        return copy(merged);
    }

    /** The topology's settings. */
    public MeteringConfig metering() {
        return metering;
    }

    /** How many partitions the app gives the deltas topic when it creates it. */
    public int deltasPartitions() {
        return deltasPartitions;
    }

    /** The replication factor of the topics the app creates; -1 for the broker's default. */
    public short replicationFactor() {
        return replicationFactor;
    }

    /** Whether the app may create missing topics. */
    public boolean createTopics() {
        return createTopics;
    }

    /** {@code serve}'s tokens file, or null for none. */
    public String httpTokensFile() {
        return httpTokensFile;
    }

    /** {@code serve}'s TLS certificate file, or null for none. */
    public String httpTlsCert() {
        return httpTlsCert;
    }

    /** {@code serve}'s TLS private key file, or null for none. */
    public String httpTlsKey() {
        return httpTlsKey;
    }

    private static String blankAsNull(String value) {
        String v = value.strip();
        return v.isEmpty() ? null : v;
    }

    /** The web origins allowed to read the HTTP API from a browser ({@code *}: any); empty: none. */
    public List<String> corsOrigins() {
        return corsOrigins;
    }

    /** The SSE hub's defaults with this file's caps on clients, in all and per token. */
    public SseHub.Settings sse() {
        return SseHub.Settings.defaults().withMaxClients(sseMaxClients, sseMaxClientsPerToken);
    }

    public String bootstrapServers() {
        return merged.getProperty(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "").trim();
    }

    /**
     * The Kafka Streams properties of the live app: our defaults, the user's settings over them, and what the
     * topology requires (its handlers and dead-letter topic) over those; no {@code metering.*} key.
     */
    public Properties streams() {
        Properties p = layered(streamsDefaults(merged), MeteringTopology.streamsProperties(metering));
        p.keySet().removeIf(k -> k.toString().startsWith(MeteringConfig.PREFIX));
        return p;
    }

    /**
     * The settings one Kafka client knows (e.g. {@code ProducerConfig.configNames()}): handing a client the
     * Streams and metering.* ones as well only earns "supplied but not used" warnings.
     */
    public Properties client(Set<String> clientConfigNames) {
        return only(merged, clientConfigNames);
    }

    /** Our Kafka Streams defaults, before the user's settings. */
    public static Properties builtInStreamsDefaults() {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, DEFAULT_APPLICATION_ID);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, Path.of(System.getProperty("user.home"), ".metering", "state").toString());
        // Consumers of our internal topics read committed data only under EOS; stats consumers should too.
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // No store uses Kafka's record cache: the sessions store is its own write-behind cache.
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, "0");
        return p;
    }

    /**
     * Our defaults under {@code user}, plus the defaults that depend on the guarantee the result has (those
     * the user did not set). The metering app's Kafka Streams settings; the benchmark's pass-through app uses
     * them too, so that both are compared on the same footing.
     */
    public static Properties streamsDefaults(Properties user) {
        Properties p = layered(builtInStreamsDefaults(), user);
        if (!p.containsKey(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG) && MeteringTopology.exactlyOnce(p)) {
            p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, String.valueOf(EXACTLY_ONCE_COMMIT_INTERVAL_MS));
        }
        // Under group.protocol=streams the broker owns the session timeout and heartbeat (group configs).
        if (classicGroupProtocol(p)) {
            p.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, String.valueOf(SESSION_TIMEOUT_MS));
            p.putIfAbsent(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, String.valueOf(HEARTBEAT_INTERVAL_MS));
        }
        return p;
    }

    static boolean classicGroupProtocol(Properties p) {
        Object protocol = p.get(StreamsConfig.GROUP_PROTOCOL_CONFIG);
        return protocol == null || "classic".equalsIgnoreCase(protocol.toString().trim());
    }

    /**
     * Static membership: unless the user set a {@code group.instance.id} (plain, {@code consumer.} or
     * {@code main.consumer.}), the one kept in the state directory ({@link InstanceId}). An empty
     * {@code group.instance.id} turns static membership off (the consumer would reject it as it is).
     * Under {@code group.protocol=streams} nothing is added.
     *
     * @param streams the app's Kafka Streams properties ({@link #streams()}); changed in place
     * @return the instance id in use, or null for none (dynamic membership)
     * @throws IOException when the state directory cannot hold the id file
     */
    public static String withInstanceId(Properties streams) throws IOException {
        Object plain = streams.get(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        boolean optedOut = plain != null && plain.toString().isBlank();
        if (optedOut) {
            streams.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        }
        for (String key : GROUP_INSTANCE_ID_KEYS) {
            Object v = streams.get(key);
            if (v != null && !v.toString().isBlank()) {
                return v.toString();
            }
        }
        if (optedOut || !classicGroupProtocol(streams)) {
            return null;
        }
        String id = InstanceId.of(Path.of(streams.getProperty(StreamsConfig.STATE_DIR_CONFIG)));
        streams.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id);
        return id;
    }

    /** A Kafka-style properties file; an empty layer for none. */
    public static Properties loadFile(Path file) {
        Properties p = new Properties();
        if (file == null) {
            return p;
        }
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            throw new SettingsException("config file not found: " + file);
        } catch (IOException | IllegalArgumentException e) {
            throw new SettingsException("cannot read config file " + file + ": " + e.getMessage());
        }
        return p;
    }

    /**
     * @return the settings named by {@code METERING_*} variables of {@code env}
     * @throws SettingsException naming the first variable (in name order) that sets neither a metering nor a Kafka setting
     */
    public static Properties fromEnvironment(Map<String, String> env) {
        Properties p = new Properties();
        for (String name : new TreeSet<>(env.keySet())) {
            if (!name.startsWith(ENV_PREFIX) || NOT_SETTINGS.contains(name) || name.length() == ENV_PREFIX.length()) {
                continue;
            }
            String key = settingName(name);
            if (key.startsWith(MeteringConfig.PREFIX) ? !isMeteringSetting(key) : !isKafkaSetting(key)) {
                throw new SettingsException("unknown environment variable " + name + ": it would set " + key
                        + ", which is neither a metering nor a Kafka setting" + suggestion(name)
                        + " (METERING_* variables are settings, apart from " + String.join(" and ", new TreeSet<>(NOT_SETTINGS)) + ")");
            }
            p.setProperty(key, env.get(name));
        }
        return p;
    }

    /** "; did you mean METERING_STALE_MS?" for a near miss of a metering setting's variable, else nothing. */
    private static String suggestion(String name) {
        List<String> candidates = new java.util.ArrayList<>(NOT_SETTINGS);
        for (String key : MeteringConfig.CONFIG.names()) {
            candidates.add(ENV_PREFIX + key.substring(MeteringConfig.PREFIX.length()).replace('.', '_').toUpperCase(Locale.ROOT));
        }
        for (String key : APP_CONFIG.names()) {
            candidates.add(ENV_PREFIX + key.substring(MeteringConfig.PREFIX.length()).replace('.', '_').toUpperCase(Locale.ROOT));
        }
        String best = null;
        int bestDistance = 3; // two edits at most
        for (String c : candidates) {
            int d = editDistance(name, c);
            if (d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        return best == null ? "" : "; did you mean " + best + "?";
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }

    /** {@code METERING_SASL_JAAS_CONFIG} -> {@code sasl.jaas.config}; {@code METERING_STALE_MS} -> {@code metering.stale.ms}. */
    public static String settingName(String envName) {
        String key = envName.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
        if (key.startsWith(MeteringConfig.PREFIX) || !isMeteringSetting(MeteringConfig.PREFIX + key)) {
            return key;
        }
        return MeteringConfig.PREFIX + key;
    }

    /** Whether {@code key} is a metering setting: the topology's or the app's. */
    public static boolean isMeteringSetting(String key) {
        return MeteringConfig.CONFIG.names().contains(key) || APP_CONFIG.names().contains(key);
    }

    /** The entries of {@code settings} that {@code clientConfigNames} knows. */
    public static Properties only(Properties settings, Set<String> clientConfigNames) {
        Properties p = new Properties();
        settings.forEach((k, v) -> {
            if (clientConfigNames.contains(k.toString())) {
                p.put(k, v);
            }
        });
        return p;
    }

    /** Layers: each later one overrides the earlier. */
    public static Properties layered(Properties... layers) {
        Properties merged = new Properties();
        for (Properties layer : layers) {
            merged.putAll(layer);
        }
        return merged;
    }

    private static Properties copy(Properties p) {
        Properties c = new Properties();
        c.putAll(p);
        return c;
    }

    /** A bad settings file or value, with a message that names it; commands show it as a usage error. */
    public static final class SettingsException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public SettingsException(String message) {
            super(message);
        }
    }
}
