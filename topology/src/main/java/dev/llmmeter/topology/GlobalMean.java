package dev.llmmeter.topology;

/**
 * The seed's global tps: the mean of the per-stream rates that are > 0 ({@code active_tps}), NaN (the seed's
 * None) when there are none. Taken in two stages so it stays global however the streams are spread: each session
 * task reports the sum and the count of its streams' rates, never a mean (kept exactly as they change:
 * {@code TaskInsights}); the combiner adds every task's part ({@link #addPart}) and divides once ({@link #value}).
 */
public final class GlobalMean {
    private double sum;
    private long count;

    /** One stream's rate; counted only when > 0 (NaN, no rate yet, is not: the seed's {@code v is not None and v > 0}). */
    public void addStream(double tps) {
        if (tps > 0) {
            sum += tps;
            count++;
        }
    }

    /** A part already summed elsewhere: a session task's streams. */
    public void addPart(double partSum, long partCount) {
        sum += partSum;
        count += partCount;
    }

    public double sum() {
        return sum;
    }

    public long count() {
        return count;
    }

    /** The mean, or NaN (the seed's None) when no stream has a rate. */
    public double value() {
        return count > 0 ? sum / count : Double.NaN;
    }
}
