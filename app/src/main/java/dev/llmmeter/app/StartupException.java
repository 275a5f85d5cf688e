package dev.llmmeter.app;

/**
 * A reason the process cannot start, worded for the operator: printed as one line, no stack trace. Secret setting
 * values are masked in it ({@link Secrets}): it often quotes Kafka's own messages.
 */
public final class StartupException extends RuntimeException {
    public StartupException(String message, Throwable cause) {
        super(Secrets.redactValues(message), cause);
    }
}
