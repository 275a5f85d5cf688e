package dev.llmmeter.serve;

/** Whether the server may take traffic: {@code /readyz}. */
@FunctionalInterface
public interface Readiness {
    /** Null when ready; otherwise why not, in one line. */
    String notReadyReason();

    static Readiness always() {
        return () -> null;
    }
}
