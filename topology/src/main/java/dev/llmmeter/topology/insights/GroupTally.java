package dev.llmmeter.topology.insights;

import dev.llmmeter.contract.Insight;
import dev.llmmeter.topology.ExactSum;

/**
 * A session task's running tally of one group (global, a model, a tenant) for the current second; drained into
 * a {@link GroupPart} at each tick. The session processor keeps each session's model's and tenant's tally with the
 * session ({@link TaskInsights#modelTally}), so a delta costs no map lookup.
 */
public final class GroupTally {
    final Insight.Group group;
    final String name;
    long tokens;
    int started;
    int ended;
    LatencySketch ttft = new LatencySketch();
    LatencySketch itl = new LatencySketch();
    LatencySketch tpot = new LatencySketch();
    SloCounts slo = new SloCounts();
    // state, kept as sessions join, change rate and leave (never recomputed over all of them)
    long active;
    /** The rates > 0 of its live sessions, summed exactly: the sum does not depend on the order they changed in. */
    final ExactSum tpsSum = new ExactSum();
    int tpsCount;

    GroupTally(Insight.Group group, String name) {
        this.group = group;
        this.name = name;
    }

    void onDelta(long increase, boolean first, long latencyMs) {
        tokens += increase;
        (first ? ttft : itl).add(latencyMs);
    }

    void onTpot(double tpotMs) {
        tpot.add(tpotMs);
    }

    /**
     * A live session of the group joined ({@code active} 1), left (-1) or changed its rate (0), its rate going from
     * {@code before} to {@code after} (NaN: none).
     */
    void change(int active, double before, double after) {
        this.active += active;
        rate(before, after);
    }

    private void rate(double before, double after) {
        if (before > 0) { // the seed's `v is not None and v > 0` (NaN is not > 0)
            tpsSum.subtract(before);
            tpsCount--;
        }
        if (after > 0) {
            tpsSum.add(after);
            tpsCount++;
        }
    }

    /** The key of this group's insights record. */
    public String key() {
        return GroupKeys.key(group, name);
    }

    /** The part for the tick, or null when the group has neither a live session nor anything applied this second. */
    GroupPart drain() {
        GroupPart p = null;
        boolean second = tokens != 0 || started != 0 || ended != 0 || !ttft.isEmpty() || !itl.isEmpty() || !tpot.isEmpty()
                || !slo.isEmpty();
        if (active > 0 || second) {
            p = new GroupPart(active, tpsSum.value(), tpsCount, tokens, started, ended, ttft, itl, tpot, slo);
        }
        if (!slo.isEmpty()) {
            slo = new SloCounts();
        }
        if (!ttft.isEmpty()) {
            ttft = new LatencySketch();
        }
        if (!itl.isEmpty()) {
            itl = new LatencySketch();
        }
        if (!tpot.isEmpty()) {
            tpot = new LatencySketch();
        }
        tokens = 0;
        started = 0;
        ended = 0;
        return p;
    }
}
