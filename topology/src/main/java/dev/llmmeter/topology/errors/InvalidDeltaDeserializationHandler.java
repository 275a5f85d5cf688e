package dev.llmmeter.topology.errors;

import dev.llmmeter.contract.InvalidDeltaException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Values that break the wire contract are dead-lettered, counted by reason ({@link DeadLetterCounts}), and processing
 * goes on. Any other failure to deserialize is not a bad event but a fault (a wrong serde, say): it fails the task,
 * loudly.
 */
public final class InvalidDeltaDeserializationHandler implements DeserializationExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(InvalidDeltaDeserializationHandler.class);
    private DeadLetters deadLetters;

    @Override
    public void configure(Map<String, ?> configs) {
        deadLetters = DeadLetters.fromConfig(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
        if (exception instanceof InvalidDeltaException invalid) {
            LOG.debug("dead-lettering {}-{}@{}: {}", context.topic(), context.partition(), context.offset(), invalid.getMessage());
            DeadLetterCounts.count(context.taskId(), invalid.reason());
            return Response.resume(deadLetters.recordFor(context, record.key(), record.value(), invalid));
        }
        LOG.error("cannot deserialize {}-{}@{}", context.topic(), context.partition(), context.offset(), exception);
        return Response.fail();
    }
}
