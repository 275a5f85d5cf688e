package dev.llmmeter.topology.insights;

/**
 * One group's share of a session task's partial at a tick: its state at the tick (live sessions, the makings of
 * the mean rate) and what was applied in the second before it (token increase, begins, ends, TTFT, inter-delta and
 * time per output token sketches, the streams judged against the objectives). The combiner sums the states of every task's latest partial, and adds each partial's second once to
 * its window.
 *
 * @param active   live sessions of the group in the task
 * @param tpsSum   sum of the per-stream rates > 0
 * @param tpsCount how many rates are in {@code tpsSum}
 * @param tokens   increase of output + reasoning running counts applied in the second
 * @param started  begins applied in the second
 * @param ended    ends applied in the second
 * @param ttft     first-delta latencies (ms) of the streams whose first delta was applied in the second
 * @param itl      gaps (ms) between consecutive deltas of a stream, for the deltas applied in the second
 * @param tpot     times per output token (ms) of the streams that left (ended, went stale, expired or were evicted)
 *                 in the second, each once
 * @param slo      the streams that left in the second judged against the service level objectives
 */
public record GroupPart(long active, double tpsSum, int tpsCount, long tokens, int started, int ended,
                        LatencySketch ttft, LatencySketch itl, LatencySketch tpot, SloCounts slo) {

    /** A part without streams judged against objectives. */
    public GroupPart(long active, double tpsSum, int tpsCount, long tokens, int started, int ended,
                     LatencySketch ttft, LatencySketch itl, LatencySketch tpot) {
        this(active, tpsSum, tpsCount, tokens, started, ended, ttft, itl, tpot, new SloCounts());
    }

    /** Whether anything was applied in the second (beyond the state). */
    public boolean hasSecond() {
        return tokens != 0 || started != 0 || ended != 0 || !ttft.isEmpty() || !itl.isEmpty() || !tpot.isEmpty() || !slo.isEmpty();
    }
}
