package dev.llmmeter.contract;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The topics shared by producers, the topology and consumers, each with its key and value serdes, and the fixed
 * keys. Keys are plain UTF-8 strings. A deployment may rename a topic ({@link Topic#named(String)}).
 */
public final class Topics {
    private static final Serde<String> KEY = Serdes.String();

    /** The input's name, for where a constant expression is needed (an annotation); else {@code DELTAS.name()}. */
    public static final String DELTAS_NAME = "metering.deltas";
    /** Input: delta events keyed by stream id; reading validates (a bad value throws {@link InvalidDeltaException}). */
    public static final Topic<String, DeltaEvent> DELTAS = new Topic<>(DELTAS_NAME, KEY,
            Serdes.serdeFrom((topic, v) -> v == null ? null : DeltaEventCodec.encode(v), (topic, b) -> DeltaEventCodec.decode(b)));
    /** Output: one global stats record per emitted tick, key {@link #STATS_KEY}. */
    public static final Topic<String, Stats> STATS = new Topic<>("metering.stats", KEY, WireJson.of(Stats.class));
    /**
     * Output: one record a second per stream that received a delta in that second, a final one when it ends, goes
     * stale or expires, and a tombstone (a null value) after the retention. Keyed by stream id; compacted.
     */
    public static final Topic<String, StreamStatus> STREAMS = new Topic<>("metering.streams", KEY, WireJson.of(StreamStatus.class));
    /** Output: one record per group (global, model, tenant) on each stats tick. Keys: {@link #STATS_KEY}, model:NAME, tenant:NAME. */
    public static final Topic<String, Insight> INSIGHTS = new Topic<>("metering.insights", KEY, WireJson.of(Insight.class));
    /** Output: the usage ledger, one CloudEvents record per closed (tenant, model) window; keyed by the record's id. */
    public static final Topic<String, Usage> USAGE = new Topic<>("metering.usage", KEY,
            Serdes.serdeFrom((topic, v) -> v == null ? null : UsageCodec.encode(v), (topic, b) -> b == null ? null : UsageCodec.decode(b)));
    /** Events that failed validation, original bytes untouched, reason in headers. */
    public static final Topic<byte[], byte[]> DEAD_LETTERS = new Topic<>("metering.deltas.dlq", Serdes.ByteArray(), Serdes.ByteArray());

    /** The key of every stats record and of the global insights record: the stats are global. */
    public static final String STATS_KEY = "global";
    /** Key prefix of the per-model insights records. */
    public static final String MODEL_KEY_PREFIX = "model:";
    /** Key prefix of the per-tenant insights records. */
    public static final String TENANT_KEY_PREFIX = "tenant:";

    private Topics() {
    }
}
