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
     * Whether {@code configs} (a processor's app configs, or a {@link Properties}) run exactly-once: then the
     * processors ask for a commit as soon as they have produced their once-a-second output, so that
     * read_committed consumers (the combiner reading the partials, dashboards reading the stats) see it at
     * once rather than at the next {@code commit.interval.ms}. Kafka 4 knows one exactly-once value,
     * {@code exactly_once_v2}, and trims what it is given.
     */
    public static boolean exactlyOnce(Map<?, ?> configs) {
        Object g = configs.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG);
        return g != null && StreamsConfig.EXACTLY_ONCE_V2.equals(g.toString().trim());
    }
}
