package dev.llmmeter.serve;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Which stats ticks reach the view and SSE clients. Under at-least-once the topology may publish a tick
 * again (same {@code ts}) after a crash or a rebalance, and this server re-reads recent records when it
 * starts: a tick is delivered once, and never after a later one (an SSE client's chart and its
 * {@code Last-Event-ID} assume time moves forward).
 *
 * <p>"Not after a later one" alone would let one far-future tick (a topology host whose clock jumped)
 * silence the stream until real time caught up. So a tick more than {@code maxAheadMs} ahead of this
 * server's clock is delivered but does not move the watermark; a repeat of it is still caught by the
 * exact-repeat memory, the approach {@code metering tail} uses (README, "Each tick once").
 */
public final class TickGate {
    /** What became of a tick. */
    public enum Verdict { DELIVER, REPEAT, BEHIND }

    private final int memory;
    private final long maxAheadMs;
    private final LongSupplier clock;
    private final ArrayDeque<Long> order = new ArrayDeque<>();
    private final Set<Long> seen = new HashSet<>();
    private long watermark = Long.MIN_VALUE;

    /**
     * @param memory     distinct ticks remembered for the exact-repeat check
     * @param maxAheadMs how far ahead of {@code clock} a tick may be and still move the watermark
     * @param clock      this server's wall clock, epoch ms
     */
    public TickGate(int memory, long maxAheadMs, LongSupplier clock) {
        if (memory < 1) {
            throw new IllegalArgumentException("memory must be positive, got " + memory);
        }
        this.memory = memory;
        this.maxAheadMs = maxAheadMs;
        this.clock = clock;
    }

    public Verdict admit(long ts) {
        if (seen.contains(ts)) {
            return Verdict.REPEAT;
        }
        if (ts <= watermark) {
            return Verdict.BEHIND;
        }
        seen.add(ts);
        order.addLast(ts);
        if (order.size() > memory) {
            seen.remove(order.removeFirst());
        }
        if (ts - clock.getAsLong() <= maxAheadMs) {
            watermark = ts;
        }
        return Verdict.DELIVER;
    }
}
