package dev.llmmeter.contract;

/** Topic names and fixed keys shared by producers, the topology and consumers. */
public final class Topics {
    /** Input: delta events keyed by stream id. */
    public static final String DELTAS = "metering.deltas";
    /** Output: one global stats record per emitted tick. */
    public static final String STATS = "metering.stats";
    /**
     * Output: one record a second per stream that received a delta in that second, a final one when it ends, goes
     * stale or expires, and a tombstone after the retention. Keyed by stream id; compacted.
     */
    public static final String STREAMS = "metering.streams";
    /** Output: one record per group (global, model, tenant) on each stats tick. Keys: {@link #STATS_KEY}, model:NAME, tenant:NAME. */
    public static final String INSIGHTS = "metering.insights";
    /** Output: the usage ledger, one CloudEvents record per closed (tenant, model) window; keyed by the record's id. */
    public static final String USAGE = "metering.usage";
    /** Events that failed validation, original bytes untouched, reason in headers. */
    public static final String DEAD_LETTERS = "metering.deltas.dlq";
    /** Every stats record carries this key: the stats are global. */
    public static final String STATS_KEY = "global";
    /** Key prefix of the per-model insights records. */
    public static final String MODEL_KEY_PREFIX = "model:";
    /** Key prefix of the per-tenant insights records. */
    public static final String TENANT_KEY_PREFIX = "tenant:";

    private Topics() {
    }
}
