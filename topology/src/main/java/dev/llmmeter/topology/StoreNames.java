package dev.llmmeter.topology;

/** State store and processor names: one place, so tests, queries and changelog topics agree. */
public final class StoreNames {
    /** stream id -> session, in each session task. Changelog: {@code <app-id>-sessions-changelog}. */
    public static final String SESSIONS = "sessions";
    /**
     * stream id -> tick of its final record on the streams topic, in each session task, until its tombstone is sent.
     * Changelog: {@code <app-id>-stream-endings-changelog}.
     */
    public static final String STREAM_ENDINGS = "stream-endings";
    /** tick -> global tps reading of the past hour, in the combiner. */
    public static final String READINGS = "readings";
    /** session task id -> latest partial it reported, in the combiner. */
    public static final String PARTIALS = "partials";
    /** The combiner's own progress: last emitted tick, and whether that tick was active. */
    public static final String COMBINER_STATE = "combiner-state";

    /** (window, start, tenant and model) -> the usage ledger's open and published windows, in each ledger task. */
    public static final String USAGE_WINDOWS = "usage-windows";
    /** stream id -> meter time it was billed: the ledger's de-duplication memory. */
    public static final String USAGE_BILLED = "usage-billed";
    /** The ledger's close watermark. */
    public static final String USAGE_LEDGER_STATE = "usage-ledger-state";
    /** Internal topic carrying each stream's bill to the ledger task of its (tenant, model). */
    public static final String USAGE_TOPIC = "usage";
    public static final String USAGE_LEDGER = "usage-ledger";
    public static final String USAGE_SINK = "usage-sink";

    /** Name of the single-partition internal topic carrying partials (Streams adds prefix and suffix). */
    public static final String PARTIALS_TOPIC = "partials";

    public static final String SOURCE = "deltas-source";
    public static final String SESSION_METER = "session-meter";
    public static final String STATS_COMBINER = "stats-combiner";
    public static final String STATS_SINK = "stats-sink";
    public static final String STREAMS_SINK = "streams-sink";
    public static final String INSIGHTS_SINK = "insights-sink";
    /** Prefixes of the nodes that route each processor's kinds of output. */
    public static final String SESSION_METER_OUTPUT = "session-meter-";
    public static final String STATS_COMBINER_OUTPUT = "stats-combiner-";

    private StoreNames() {
    }
}
