package dev.llmmeter.serve;

/** Whether the server may take traffic ({@code /readyz}), and whether it is still of any use ({@code /healthz}). */
@FunctionalInterface
public interface Readiness {
    /** Null when ready; otherwise why not, in one line. */
    String notReadyReason();

    /**
     * Null while the server works or may still recover by itself; otherwise why it will not, in one line: a
     * restart is needed ({@code /healthz} answers 503).
     */
    default String failure() {
        return null;
    }

    static Readiness always() {
        return () -> null;
    }
}
