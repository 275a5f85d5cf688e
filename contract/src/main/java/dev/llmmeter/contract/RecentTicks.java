package dev.llmmeter.contract;

import java.util.HashSet;
import java.util.ArrayDeque;
import java.util.Set;

/**
 * De-duplication of stats records by tick ({@code ts}) for a consumer under at-least-once, where the
 * topology may publish a tick again after a crash or a rebalance: a record whose {@code ts} is one of the
 * last {@link #DEFAULT_CAPACITY} distinct ticks seen is a repeat. Only exact repeats are dropped, never
 * "anything not newer than the last": one far-future tick from a bad clock would otherwise silence the
 * consumer until the clock caught up, whereas here it only takes one slot. The consumer side of the wire
 * contract's "each tick once" (docs/contract.md): {@code metering tail} and {@code serve} both go by it.
 */
public final class RecentTicks {
    /**
     * Ten minutes of ticks. A repeat comes from work redone since the last commit (30 s under
     * at-least-once by default) and the rebalance around it, so it is at most a minute or two old.
     */
    public static final int DEFAULT_CAPACITY = 600;

    private final int capacity;
    private final ArrayDeque<Long> order = new ArrayDeque<>();
    private final Set<Long> seen = new HashSet<>();

    public RecentTicks() {
        this(DEFAULT_CAPACITY);
    }

    public RecentTicks(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        this.capacity = capacity;
    }

    /** Whether {@code ts} is one of the recent ticks, without recording it. */
    public boolean contains(long ts) {
        return seen.contains(ts);
    }

    /** True the first time {@code ts} is seen (among the last {@code capacity} distinct ticks): show the record. */
    public boolean firstTime(long ts) {
        if (!seen.add(ts)) {
            return false;
        }
        order.addLast(ts);
        if (order.size() > capacity) {
            seen.remove(order.removeFirst());
        }
        return true;
    }
}
