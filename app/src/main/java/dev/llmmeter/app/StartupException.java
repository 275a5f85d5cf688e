package dev.llmmeter.app;

/** A reason the process cannot start, worded for the operator: printed as one line, no stack trace. */
public final class StartupException extends RuntimeException {
    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}
