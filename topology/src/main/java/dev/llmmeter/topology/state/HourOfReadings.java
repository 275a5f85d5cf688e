package dev.llmmeter.topology.state;

import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayDeque;

/**
 * The seed's rolling hour of global tps readings, for HIGH/LOW. Durable in the {@code readings} store
 * (tick -> tps), mirrored in a deque in tick order so high/low need no store scan.
 */
public final class HourOfReadings {
    /** The seed skips near-zero idle readings when taking high/low. */
    static final double MIN_READING_FOR_HIGH_LOW = 1.0;

    private final KeyValueStore<Long, Double> store;
    private final long windowMs;
    private final ArrayDeque<Reading> readings = new ArrayDeque<>();

    private record Reading(long tick, double tps) {
    }

    public HourOfReadings(KeyValueStore<Long, Double> store, long windowMs) {
        this.store = store;
        this.windowMs = windowMs;
        try (KeyValueIterator<Long, Double> it = store.all()) { // keys are big-endian longs: tick order
            it.forEachRemaining(kv -> readings.addLast(new Reading(kv.key, kv.value)));
        }
    }

    /** Drops readings at or before {@code now - window}: the seed keeps those with {@code ts > cutoff}. */
    public void prune(long now) {
        long cutoff = now - windowMs;
        while (!readings.isEmpty() && readings.peekFirst().tick() <= cutoff) {
            store.delete(readings.pollFirst().tick());
        }
    }

    /** Drops readings dated after {@code tick}: no reading can come from the combiner's future. */
    public void forgetAfter(long tick) {
        while (!readings.isEmpty() && readings.peekLast().tick() > tick) {
            store.delete(readings.pollLast().tick());
        }
    }

    /**
     * The seed's "only record this snapshot for HIGH/LOW if there is active work": records the tick's global tps
     * when it is > 0, and nothing for a tick without a reading (NaN) or an idle one.
     */
    public void record(long tick, double tps) {
        if (tps > 0) { // false for NaN
            readings.addLast(new Reading(tick, tps));
            store.put(tick, tps);
        }
    }

    /** @return the highest reading >= 1.0, or NaN when there is none */
    public double high() {
        double high = Double.NaN;
        for (Reading r : readings) {
            double v = r.tps();
            if (v >= MIN_READING_FOR_HIGH_LOW && !(v <= high)) {
                high = v;
            }
        }
        return high;
    }

    /** @return the lowest reading >= 1.0, or NaN when there is none */
    public double low() {
        double low = Double.NaN;
        for (Reading r : readings) {
            double v = r.tps();
            if (v >= MIN_READING_FOR_HIGH_LOW && !(v >= low)) {
                low = v;
            }
        }
        return low;
    }

}
