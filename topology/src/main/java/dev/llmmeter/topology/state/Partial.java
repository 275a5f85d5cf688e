package dev.llmmeter.topology.state;

/**
 * What one session task reports to the combiner at each tick: the makings of the global stats for its
 * share of the streams. Sums and counts, never a mean, so the combiner can take the mean over all
 * streams.
 *
 * @param tick    the tick time, epoch ms (a whole second)
 * @param tpsSum  sum of the per-stream TPS values > 0
 * @param tpsCount how many streams contributed to {@code tpsSum}
 * @param active  live sessions in the task
 * @param recent  whether some session had a delta within the stale window (the seed's
 *                {@code get_interval() == 1.0})
 */
public record Partial(long tick, double tpsSum, int tpsCount, long active, boolean recent) {
}
