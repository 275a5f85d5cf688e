package dev.llmmeter.contract;

/**
 * The global stats published once per emitted tick: the seed's SSE {@code metering} payload plus the
 * tick time.
 *
 * @param tps          mean TPS over streams with a real reading, rounded to 0.1; null when none
 * @param tpsAvailable false exactly when {@code tps} is null (a UI must hide TPS then)
 * @param estimated    always false: only real readings are reported
 * @param high         highest reading >= 1.0 in the past hour, rounded; null when none
 * @param low          lowest reading >= 1.0 in the past hour, rounded; null when none
 * @param active       live sessions: begun, not ended, not pruned (including those awaiting a first delta)
 * @param ts           the tick time, epoch ms (also the record timestamp)
 */
public record Stats(Double tps, boolean tpsAvailable, boolean estimated, Double high, Double low,
                    long active, long ts) {
}
