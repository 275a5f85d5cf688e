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

    private StreamsSettings() {
    }

    public static Properties defaults() {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, DEFAULT_APPLICATION_ID);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, Path.of(System.getProperty("user.home"), ".metering", "state").toString());
        // Consumers of our internal topics read committed data only under EOS; stats consumers should too.
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return p;
    }

    /** The user's settings over our defaults; the handlers and DLQ topic the topology needs always win. */
    public static Properties forApp(Properties user, MeteringConfig config) {
        Properties p = Settings.layered(defaults(), user, MeteringStreamsConfig.required(config));
        p.keySet().removeIf(k -> k.toString().startsWith(MeteringConfig.PREFIX));
        return p;
    }
}
