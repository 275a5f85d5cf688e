package dev.llmmeter.sim;

/** A sink could not deliver events; the message is one readable line. */
public final class SinkException extends RuntimeException {
    public SinkException(String message, Throwable cause) {
        super(message, cause);
    }

    public SinkException(String message) {
        super(message);
    }
}
