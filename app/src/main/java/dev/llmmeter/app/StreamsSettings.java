package dev.llmmeter.app;

import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.MeteringStreamsConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/** The Kafka Streams configuration of the live app: our defaults, then the user's settings, then what the topology requires. */
public final class StreamsSettings {
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
     * resume about 12-14 s after a crash (see FailoverTest). Streams heartbeats from a background thread, so
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

    private StreamsSettings() {
    }

    public static Properties defaults() {
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
     * Our defaults under the user's settings, plus the defaults that depend on the guarantee the result has
     * (those the user did not set). The metering app's Kafka settings; the benchmark's pass-through app uses
     * them too, so that both are compared on the same footing.
     */
    public static Properties withDefaults(Properties user) {
        Properties p = Settings.layered(defaults(), user);
        if (!p.containsKey(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)
                && MeteringStreamsConfig.exactlyOnce(p)) {
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
     * @param streams the app's Kafka Streams settings ({@link #forApp}); changed in place
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
        if (optedOut) {
            return null;
        }
        if (!classicGroupProtocol(streams)) {
            return null;
        }
        String id = InstanceId.of(Path.of(streams.getProperty(StreamsConfig.STATE_DIR_CONFIG)));
        streams.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id);
        return id;
    }

    /** The user's settings over our defaults; the handlers and DLQ topic the topology needs always win. */
    public static Properties forApp(Properties user, MeteringConfig config) {
        Properties p = Settings.layered(withDefaults(user), MeteringStreamsConfig.required(config));
        p.keySet().removeIf(k -> k.toString().startsWith(MeteringConfig.PREFIX));
        return p;
    }
}
