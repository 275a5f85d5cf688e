package dev.llmmeter.topology;

import java.time.Duration;
import java.time.Instant;

/** Ticks fall on whole wall-clock seconds. */
public final class Ticks {
    public static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final long INTERVAL_MS = INTERVAL.toMillis();

    private Ticks() {
    }

    /** The tick a wall-clock time falls in: the whole second at or before it. */
    public static long tickOf(long epochMs) {
        return epochMs - Math.floorMod(epochMs, INTERVAL_MS);
    }

    /** The first whole second strictly after {@code now}, plus {@code offsetMs}: where to anchor a punctuation. */
    public static Instant nextAnchor(long now, long offsetMs) {
        return Instant.ofEpochMilli(tickOf(now) + INTERVAL_MS + offsetMs);
    }
}
