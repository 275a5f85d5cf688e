package dev.llmmeter.topology.errors;

import dev.llmmeter.contract.DeadLetterHeaders;
import dev.llmmeter.contract.InvalidDeltaException;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Builds the dead-letter record for invalid input: the source record's key and value bytes untouched,
 * its headers kept, plus headers naming the reason, the detail and where the record came from. The
 * topic is Kafka Streams' own {@code errors.dead.letter.queue.topic.name}.
 */
final class DeadLetters {
    private final String topic;

    private DeadLetters(String topic) {
        this.topic = topic;
    }

    static DeadLetters fromConfig(Map<String, ?> configs) {
        Object topic = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
        if (topic == null || topic.toString().isBlank()) {
            throw new org.apache.kafka.common.config.ConfigException(
                    StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG
                            + " must name the dead-letter topic: invalid input is never dropped silently");
        }
        return new DeadLetters(topic.toString());
    }

    List<ProducerRecord<byte[], byte[]>> recordFor(ErrorHandlerContext context, byte[] key, byte[] value,
                                                  InvalidDeltaException e) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, null, context.timestamp(), key, value);
        Headers headers = r.headers();
        if (context.headers() != null) {
            context.headers().forEach(headers::add);
        }
        headers.add(DeadLetterHeaders.REASON, utf8(e.reason().wireName()));
        headers.add(DeadLetterHeaders.DETAIL, utf8(e.detail()));
        headers.add(DeadLetterHeaders.EXCEPTION, utf8(e.getClass().getName()));
        headers.add(DeadLetterHeaders.MESSAGE, utf8(e.getMessage()));
        headers.add(DeadLetterHeaders.SOURCE_TOPIC, utf8(context.topic()));
        headers.add(DeadLetterHeaders.SOURCE_PARTITION, utf8(String.valueOf(context.partition())));
        headers.add(DeadLetterHeaders.SOURCE_OFFSET, utf8(String.valueOf(context.offset())));
        return List.of(r);
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }
}
