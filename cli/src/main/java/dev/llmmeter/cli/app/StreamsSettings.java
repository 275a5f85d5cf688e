package dev.llmmeter.cli.app;

import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.MeteringStreamsConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
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
        return p;
    }

    /** The user's settings over our defaults; the handlers and DLQ topic the topology needs always win. */
    public static Properties forApp(Properties user, MeteringConfig config) {
        Properties p = Settings.layered(withDefaults(user), MeteringStreamsConfig.required(config));
        p.keySet().removeIf(k -> k.toString().startsWith(MeteringConfig.PREFIX));
        return p;
    }
}
