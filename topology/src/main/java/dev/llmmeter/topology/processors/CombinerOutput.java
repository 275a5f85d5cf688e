package dev.llmmeter.topology.processors;

import dev.llmmeter.contract.Insight;
import dev.llmmeter.contract.Stats;

/**
 * What the {@link StatsCombiner} forwards: the global stats and the per-group insights, routed by type to their
 * topics.
 */
public sealed interface CombinerOutput {

    /** The tick's global stats (key: {@code global}). */
    record StatsRecord(Stats stats) implements CombinerOutput {
    }

    /** One group's insights of the tick (key: the group's key). */
    record InsightRecord(Insight insight) implements CombinerOutput {
    }
}
