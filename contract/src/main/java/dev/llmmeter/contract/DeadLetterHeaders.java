package dev.llmmeter.contract;

/**
 * Headers on every record of {@link Topics#DEAD_LETTERS}. The metering headers say why; the
 * {@code __streams.errors.*} ones are Kafka Streams' own dead-letter headers (KIP-1034) and say where from.
 */
public final class DeadLetterHeaders {
    /** A {@link DeadLetterReason} wire name, e.g. {@code key_mismatch}. */
    public static final String REASON = "metering.dlq.reason";
    /** Human-readable detail, e.g. {@code running must not be negative, got -3}. */
    public static final String DETAIL = "metering.dlq.detail";
    public static final String EXCEPTION = "__streams.errors.exception";
    public static final String MESSAGE = "__streams.errors.message";
    public static final String SOURCE_TOPIC = "__streams.errors.topic";
    public static final String SOURCE_PARTITION = "__streams.errors.partition";
    public static final String SOURCE_OFFSET = "__streams.errors.offset";

    private DeadLetterHeaders() {
    }
}
