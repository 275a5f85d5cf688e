package dev.llmmeter.sim;

import java.util.function.BooleanSupplier;

/**
 * Holds each event back until the clock reaches its {@code ts}. Waits aim at absolute times, so lateness
 * never accumulates: an event that is already due goes at once, and a sender that fell behind catches up.
 * Waits are sliced ({@value #MAX_SLEEP_MS} ms at most) so a stop request and the progress line are
 * served while waiting.
 */
public final class Pacer {
    public static final long MAX_SLEEP_MS = 100;

    /** A millisecond clock and a way to sleep on it. */
    public interface Clock {
        long nowMs();

        void sleepMs(long ms) throws InterruptedException;
    }

    private static final Pacer NONE = new Pacer(null);

    private final Clock clock;

    private Pacer(Clock clock) {
        this.clock = clock;
    }

    /** Never waits: events go as fast as the sink takes them. */
    public static Pacer none() {
        return NONE;
    }

    /**
     * The wall clock, read monotonically: epoch ms at creation plus the {@link System#nanoTime()} elapsed
     * since, so a wall-clock step (NTP) cannot make the pacing jump.
     */
    public static Pacer realTime() {
        long anchorMs = System.currentTimeMillis();
        long anchorNanos = System.nanoTime();
        return new Pacer(new Clock() {
            @Override
            public long nowMs() {
                return anchorMs + (System.nanoTime() - anchorNanos) / 1_000_000;
            }

            @Override
            public void sleepMs(long ms) throws InterruptedException {
                Thread.sleep(ms);
            }
        });
    }

    public static Pacer on(Clock clock) {
        return new Pacer(clock);
    }

    public boolean paced() {
        return clock != null;
    }

    /** The pacing clock's time, epoch ms; the wall clock when unpaced. */
    public long nowMs() {
        return clock == null ? System.currentTimeMillis() : clock.nowMs();
    }

    /**
     * Waits until the clock reaches {@code epochMs}.
     *
     * @param stop        checked between sleeps; when true, the wait ends early
     * @param whileWaiting run between sleeps (progress reporting)
     * @return true when the time came, false when the wait ended early (stop requested or interrupted)
     */
    public boolean awaitUntil(long epochMs, BooleanSupplier stop, Runnable whileWaiting) {
        if (clock == null) {
            return true;
        }
        long now;
        while ((now = clock.nowMs()) < epochMs) {
            if (stop.getAsBoolean()) {
                return false;
            }
            whileWaiting.run();
            try {
                clock.sleepMs(Math.min(epochMs - now, MAX_SLEEP_MS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
