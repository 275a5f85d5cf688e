package dev.llmmeter.topology;

import dev.llmmeter.topology.errors.InvalidDeltaDeserializationHandler;
import dev.llmmeter.topology.errors.InvalidDeltaProcessingHandler;
import org.apache.kafka.streams.StreamsConfig;

import java.util.Map;
import java.util.Properties;

/**
 * The Kafka Streams settings the metering topology relies on, whoever runs it: the live app, the
 * offline replay and the tests. Callers add the connection, application id and guarantee.
 */
public final class MeteringStreamsConfig {
    private MeteringStreamsConfig() {
    }

    public static Properties required(MeteringConfig config) {
        Properties p = new Properties();
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, InvalidDeltaDeserializationHandler.class.getName());
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, InvalidDeltaProcessingHandler.class.getName());
        p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, config.deadLetterTopic());
        // No global stores here; opting in now is the Kafka 5.0 default and silences a startup warning.
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        return p;
    }

    /**
     * Whether the app runs exactly-once ({@code exactly_once_v2}, or the old {@code exactly_once}): then its
     * processors ask for a commit as soon as they have produced their once-a-second output, so that
     * read_committed consumers (the combiner reading the partials, dashboards reading the stats) see it at
     * once rather than at the next {@code commit.interval.ms}.
     */
    public static boolean exactlyOnce(Map<String, Object> appConfigs) {
        Object g = appConfigs.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG);
        return g != null && g.toString().trim().toLowerCase(java.util.Locale.ROOT).startsWith("exactly_once");
    }
}
