package dev.llmmeter.serve;

import dev.llmmeter.contract.RecentTicks;

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
 * exact-repeat memory, {@link RecentTicks}, the one {@code metering tail} uses (README, "Each tick once").
 */
public final class TickGate {
    /** What became of a tick. */
    public enum Verdict { DELIVER, REPEAT, BEHIND }

    private final RecentTicks recent;
    private final long maxAheadMs;
    private final LongSupplier clock;
    private long watermark = Long.MIN_VALUE;

    /**
     * @param memory     distinct ticks remembered for the exact-repeat check
     * @param maxAheadMs how far ahead of {@code clock} a tick may be and still move the watermark
     * @param clock      this server's wall clock, epoch ms
     */
    public TickGate(int memory, long maxAheadMs, LongSupplier clock) {
        this.recent = new RecentTicks(memory);
        this.maxAheadMs = maxAheadMs;
        this.clock = clock;
    }

    public Verdict admit(long ts) {
        if (recent.contains(ts)) {
            return Verdict.REPEAT;
        }
        if (ts <= watermark) {
            return Verdict.BEHIND;
        }
        recent.firstTime(ts);
        if (ts - clock.getAsLong() <= maxAheadMs) {
            watermark = ts;
        }
        return Verdict.DELIVER;
    }
}
