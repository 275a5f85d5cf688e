package dev.llmmeter.contract;

/** Topic names and fixed keys shared by producers, the topology and consumers. */
public final class Topics {
    /** Input: delta events keyed by stream id. */
    public static final String DELTAS = "metering.deltas";
    /** Output: one global stats record per emitted tick. */
    public static final String STATS = "metering.stats";
    /** Events that failed validation, original bytes untouched, reason in headers. */
    public static final String DEAD_LETTERS = "metering.deltas.dlq";
    /** Every stats record carries this key: the stats are global. */
    public static final String STATS_KEY = "global";

    private Topics() {
    }
}
