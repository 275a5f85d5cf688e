package dev.llmmeter.topology.state;

import dev.llmmeter.topology.insights.GroupPart;

import java.util.Map;

/**
 * What one session task reports to the combiner at each tick: the makings of the global stats for its
 * share of the streams. Sums and counts, never a mean, so the combiner can take the mean over all
 * streams; and the insights' part, per group.
 *
 * @param tick    the tick time, epoch ms (a whole second)
 * @param tpsSum  sum of the per-stream TPS values > 0
 * @param tpsCount how many streams contributed to {@code tpsSum}
 * @param active  live sessions in the task
 * @param recent  whether some session had a delta within the stale window (the seed's
 *                {@code get_interval() == 1.0})
 * @param groups  insights record key (global, model:NAME, tenant:NAME) -> that group's part; only groups with a
 *                live session or something applied in the second before the tick
 */
public record Partial(long tick, double tpsSum, int tpsCount, long active, boolean recent, Map<String, GroupPart> groups) {

    /** The stats part alone (no insights). */
    public Partial(long tick, double tpsSum, int tpsCount, long active, boolean recent) {
        this(tick, tpsSum, tpsCount, active, recent, Map.of());
    }

    public Partial {
        groups = groups == null ? Map.of() : groups;
    }

    /** The same partial dated {@code tick}. */
    public Partial at(long newTick) {
        return new Partial(newTick, tpsSum, tpsCount, active, recent, groups);
    }

    /** The stats part alone, as the stats combine sees it. */
    public Partial statsPart() {
        return groups.isEmpty() ? this : new Partial(tick, tpsSum, tpsCount, active, recent);
    }
}
