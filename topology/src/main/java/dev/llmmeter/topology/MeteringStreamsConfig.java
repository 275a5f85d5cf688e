package dev.llmmeter.topology;

import dev.llmmeter.topology.errors.InvalidDeltaDeserializationHandler;
import dev.llmmeter.topology.errors.InvalidDeltaProcessingHandler;
import org.apache.kafka.streams.StreamsConfig;

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
}
