package dev.llmmeter.topology;

import java.time.Duration;
import java.time.Instant;

/**
 * Ticks fall on whole wall-clock seconds. The tick of second T fires at {@code T + }{@link #FIRE_DELAY_MS}: an event
 * that arrives at exactly T (a replay's event stamped on a whole second, the seed's {@code ts == now}) is applied
 * before the tick at T, as in the seed, and arrival time is exactly the wall clock at which it was processed.
 */
public final class Ticks {
    public static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final long INTERVAL_MS = INTERVAL.toMillis();
    /** The tick of second T runs at T + this, so that whatever arrived at T is in it. */
    public static final long FIRE_DELAY_MS = 1;

    private Ticks() {
    }

    /** The tick a wall-clock time falls in: the whole second at or before it. */
    public static long tickOf(long epochMs) {
        return epochMs - Math.floorMod(epochMs, INTERVAL_MS);
    }

    /** The tick whose punctuation fired at wall-clock time {@code firedAtMs} (it may fire late, never early). */
    public static long tickFiredAt(long firedAtMs) {
        return tickOf(firedAtMs - FIRE_DELAY_MS);
    }

    /** When the tick of {@code tick} (a whole second) fires. */
    public static long fireTime(long tick) {
        return tick + FIRE_DELAY_MS;
    }

    /**
     * Where to anchor a punctuation that runs {@code offsetMs} after each tick fires, starting with the tick of
     * the first whole second strictly after {@code now}.
     */
    public static Instant nextAnchor(long now, long offsetMs) {
        return Instant.ofEpochMilli(tickOf(now) + INTERVAL_MS + FIRE_DELAY_MS + offsetMs);
    }
}
