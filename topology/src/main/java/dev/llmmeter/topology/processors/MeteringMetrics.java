package dev.llmmeter.topology.processors;

import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

import java.util.Map;

/**
 * The metering counters, registered through Kafka Streams' own metrics (so JMX and any metrics reporter
 * see them): group {@code stream-metering-metrics}, tag {@code metering-id} = task id, names
 * {@code <counter>-total} and {@code <counter>-rate}.
 */
public final class MeteringMetrics {
    public static final String SCOPE = "metering";
    public static final String GROUP = "stream-metering-metrics";
    /** Deltas ignored because their running count went back or their time was before the last delta. */
    public static final String OUT_OF_ORDER_DELTAS = "out-of-order-deltas";
    /** Deltas ignored because their stream was never begun, has ended or was pruned (as in the seed). */
    public static final String UNKNOWN_STREAM_DELTAS = "unknown-stream-deltas";
    /** Sessions pruned because their last delta was older than the stale window. */
    public static final String STALE_SESSIONS = "stale-sessions";
    /** Sessions dropped because they got no delta within the begin expiry. */
    public static final String EXPIRED_BEGINS = "expired-begins";
    /** Begins ignored because they are not after their live session's own begin: redeliveries and retries. */
    public static final String DUPLICATE_BEGINS = "duplicate-begins";
    /** Sessions dropped to keep a task within {@code metering.max.sessions.per.task}. */
    public static final String EVICTED_SESSIONS = "evicted-sessions";
    /** Records whose key the Java client's default partitioner would put in another partition (processed all the same). */
    public static final String MISROUTED_RECORDS = "misrouted-records";
    /**
     * On the combiner: insights labels refused a group of their own because {@code metering.insights.max.labels} others
     * had one (they count in {@code other}); each label once per refusal, not at every tick it stays folded.
     */
    public static final String FOLDED_LABELS = "folded-labels";
    /**
     * On a session task: sessions counted in their breakdown's {@code other} by the task itself, because their model
     * (or tenant) was new to the task and {@code metering.insights.max.labels.per.task} others already had a tally
     * there; the combiner cannot give those sessions back to their label's group.
     */
    public static final String OVERFLOWED_SESSIONS = "overflowed-sessions";
    /** Partials dated more than a second ahead of the combiner's clock (their tick is taken as the combiner's own). */
    public static final String FUTURE_PARTIALS = "future-partials";
    /** On a ledger task: requests billed after their window closed (in an amendment). */
    public static final String LATE_USAGE = "late-usage";
    /** On a ledger task: bills of a stream already billed (a redelivered end), dropped. */
    public static final String DUPLICATE_USAGE = "duplicate-usage";
    /** On a ledger task: billed stream ids forgotten before their time, to stay within {@code metering.usage.dedupe.max.ids}. */
    public static final String USAGE_DEDUPE_EVICTIONS = "usage-dedupe-evictions";
    /** On a ledger task: a gauge of the usage windows still open. */
    public static final String OPEN_USAGE_WINDOWS = "open-usage-windows";
    /**
     * The session task's tick (its punctuation): {@code tick-latency-avg}, {@code -max}, {@code -p50},
     * {@code -p99} in ms, over the metrics window ({@code metrics.sample.window.ms} x
     * {@code metrics.num.samples}, 30 s x 2 by default), and {@code tick-rate}, {@code tick-total}.
     */
    public static final String TICK = "tick";
    public static final String TICK_LATENCY_P50 = "tick-latency-p50";
    public static final String TICK_LATENCY_P99 = "tick-latency-p99";

    private MeteringMetrics() {
    }

    /** Sum of {@code <counter>-total} over all tasks in a metrics map (a KafkaStreams' or a test driver's). */
    public static long total(Map<MetricName, ? extends Metric> metrics, String counter) {
        double sum = 0;
        for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
            MetricName n = e.getKey();
            if (n.group().equals(GROUP) && n.name().equals(counter + "-total")) {
                sum += ((Number) e.getValue().metricValue()).doubleValue();
            }
        }
        return (long) sum;
    }
}
