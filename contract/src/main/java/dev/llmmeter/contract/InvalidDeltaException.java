package dev.llmmeter.contract;

/**
 * An input record that breaks the wire contract. Thrown by decoding and validation, turned into a
 * dead letter by the topology's exception handlers. No stack trace: it is an expected outcome for bad
 * input, not a bug, and bad input may come in bulk.
 */
public final class InvalidDeltaException extends RuntimeException {
    private final DeadLetterReason reason;
    private final String detail;

    public InvalidDeltaException(DeadLetterReason reason, String detail) {
        super(reason.wireName() + ": " + detail, null, false, false);
        this.reason = reason;
        this.detail = detail;
    }

    public DeadLetterReason reason() {
        return reason;
    }

    public String detail() {
        return detail;
    }
}
