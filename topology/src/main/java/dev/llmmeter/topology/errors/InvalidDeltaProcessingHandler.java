package dev.llmmeter.topology.errors;

import dev.llmmeter.contract.InvalidDeltaException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Events that decode but break a rule the processor checks (the key must be the stream id) are
 * dead-lettered from their source bytes and counted by reason ({@link DeadLetterCounts}). Any other exception is a
 * bug: the task fails, loudly.
 */
public final class InvalidDeltaProcessingHandler implements ProcessingExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(InvalidDeltaProcessingHandler.class);
    private DeadLetters deadLetters;

    @Override
    public void configure(Map<String, ?> configs) {
        deadLetters = DeadLetters.fromConfig(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        if (exception instanceof InvalidDeltaException invalid) {
            LOG.debug("dead-lettering {}-{}@{}: {}", context.topic(), context.partition(), context.offset(), invalid.getMessage());
            DeadLetterCounts.count(context.taskId(), invalid.reason());
            return Response.resume(deadLetters.recordFor(context, context.sourceRawKey(), context.sourceRawValue(), invalid));
        }
        LOG.error("processing failed in {} at {}-{}@{}", context.processorNodeId(), context.topic(),
                context.partition(), context.offset(), exception);
        return Response.fail();
    }
}
