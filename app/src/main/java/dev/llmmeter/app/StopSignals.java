package dev.llmmeter.app;

import sun.misc.Signal;

import java.util.concurrent.atomic.AtomicReference;

/**
 * SIGTERM and SIGINT as a request to stop, not an exit: a JVM left to its default handling runs the shutdown
 * hooks and exits 143 (130 for Ctrl-C) whatever {@code main} returns, so a clean stop would look like a
 * failure to an orchestrator. Here the first signal runs {@code stop} (on the JVM's signal thread) and the
 * command returns its own exit code, 0 for a clean stop. A second signal while stopping exits at once with
 * the usual 128 + signal number, for an operator who will not wait.
 *
 * <p>{@code sun.misc.Signal} is in the {@code jdk.unsupported} module, which every JDK 17+ exports: the
 * one way the JDK offers to handle a signal in place of its default action.
 */
public final class StopSignals {
    private static final String[] NAMES = {"TERM", "INT"};

    private StopSignals() {
    }

    /** Installs the handlers; returns a description of the signal received first, once there is one. */
    public static AtomicReference<String> install(Runnable stop) {
        AtomicReference<String> received = new AtomicReference<>();
        for (String name : NAMES) {
            try {
                Signal.handle(new Signal(name), signal -> {
                    if (received.compareAndSet(null, "SIG" + signal.getName())) {
                        stop.run();
                    } else {
                        Runtime.getRuntime().halt(128 + signal.getNumber());
                    }
                });
            } catch (IllegalArgumentException e) {
                // not a signal on this platform, or the JVM's own (-Xrs): the default handling stays
            }
        }
        return received;
    }
}
