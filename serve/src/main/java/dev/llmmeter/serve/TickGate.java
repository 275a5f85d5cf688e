package dev.llmmeter.serve;

import dev.llmmeter.contract.RecentTicks;

/**
 * Which stats ticks reach the view and SSE clients. Under at-least-once the topology may publish a tick
 * again (same {@code ts}) after a crash or a rebalance, and this server re-reads recent records when it
 * starts: a tick is delivered once, and never after a newer one (an SSE client's chart and its
 * {@code Last-Event-ID} assume time moves forward).
 *
 * <p>The gate decides from the ticks alone, never from this server's clock (the topology's clock is not
 * this host's). A repeat is caught by the exact-repeat memory, {@link RecentTicks}, the one
 * {@code metering tail} uses (docs/contract.md, "Each tick once"); a tick at or behind the newest one delivered (the
 * watermark) is skipped. One far-future tick (a topology host whose clock jumped) is delivered and moves
 * the watermark; the genuine ticks that go on from the old line are then behind it, and once
 * {@code followAfter} of them come in a row, each newer than the one before, the watermark follows them:
 * the last of the run is delivered and the stream goes on. A stray late tick never starts such a run on its
 * own, since one that goes back on the run starts it again.
 */
public final class TickGate {
    /** What became of a tick. */
    public enum Verdict { DELIVER, REPEAT, BEHIND }

    private final RecentTicks recent;
    private final int followAfter;
    private long watermark = Long.MIN_VALUE;
    /** The run of ticks behind the watermark, each newer than the one before: its length and newest tick. */
    private int runLength;
    private long runEnd;

    /**
     * @param memory      distinct ticks remembered for the exact-repeat check
     * @param followAfter how many ticks in a row behind the watermark, each newer than the one before, make
     *                    the watermark follow them
     */
    public TickGate(int memory, int followAfter) {
        if (followAfter < 1) {
            throw new IllegalArgumentException("followAfter must be positive, got " + followAfter);
        }
        this.recent = new RecentTicks(memory);
        this.followAfter = followAfter;
    }

    public Verdict admit(long ts) {
        if (recent.contains(ts)) {
            return Verdict.REPEAT;
        }
        if (ts > watermark || continuesRunToItsEnd(ts)) {
            recent.firstTime(ts);
            watermark = ts;
            runLength = 0;
            return Verdict.DELIVER;
        }
        return Verdict.BEHIND;
    }

    /** Counts {@code ts}, behind the watermark, into the run; true when it completes the run. */
    private boolean continuesRunToItsEnd(long ts) {
        if (runLength > 0 && ts == runEnd) {
            return false;
        }
        runLength = runLength > 0 && ts > runEnd ? runLength + 1 : 1;
        runEnd = ts;
        return runLength >= followAfter;
    }
}
