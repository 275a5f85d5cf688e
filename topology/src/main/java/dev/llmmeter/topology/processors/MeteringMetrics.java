package dev.llmmeter.topology.processors;

import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.metrics.stats.Rate;
import org.apache.kafka.common.metrics.stats.WindowedCount;
import org.apache.kafka.common.metrics.stats.WindowedSum;
import org.apache.kafka.streams.StreamsMetrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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
     * On a session task: input records dead-lettered, tagged {@value #REASON_TAG} = the reason's wire name, the one
     * the dead letter carries in its {@code metering.dlq.reason} header; every reason of
     * {@link dev.llmmeter.contract.DeadLetterReason} is there from the task's start, at 0 until one comes.
     */
    public static final String DEAD_LETTERS = "dead-letters";
    static final String DEAD_LETTERS_DESCRIPTION = "input records dead-lettered, by reason (their metering.dlq.reason header)";
    public static final String REASON_TAG = "reason";
    /**
     * On the combiner: insights labels folded into their breakdown's {@code other} by {@code metering.insights.max.labels},
     * tagged {@value #BREAKDOWN_TAG} ({@code model}, {@code tenant}) and {@value #WINDOW_TAG}: {@code minute}, a label
     * refused a group of its own because as many others had one, once per refusal, not at every tick it stays folded;
     * {@code hour}, a label whose streams judged in one minute count in {@code other}'s hour of service level figures
     * because that minute already kept as many others apart, once per label and minute.
     */
    public static final String FOLDED_LABELS = "folded-labels";
    static final String FOLDED_LABELS_DESCRIPTION = "labels folded into other by metering.insights.max.labels, by "
            + "breakdown (model, tenant) and window (minute: refused a group of their own; hour: in a minute of the "
            + "service level hour)";
    public static final String BREAKDOWN_TAG = "breakdown";
    public static final String WINDOW_TAG = "window";
    /**
     * On a session task: sessions counted in their breakdown's {@code other} by the task itself, because their model
     * (or tenant) was new to the task and {@code metering.insights.max.labels.per.task} others already had a tally
     * there; the combiner cannot give those sessions back to their label's group.
     */
    public static final String OVERFLOWED_SESSIONS = "overflowed-sessions";
    /** Partials dated more than a second ahead of the combiner's clock (their tick is taken as the combiner's own). */
    public static final String FUTURE_PARTIALS = "future-partials";
    /**
     * On the combiner: ticks never published because a catch-up after a stall or a restart publishes at most the
     * last {@code StatsCombiner.MAX_MISSED_TICKS} missed ones (a minute); counted by ticks, in one record per catch-up.
     */
    public static final String SKIPPED_TICKS = "skipped-ticks";
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

    /**
     * A counter of a task with tags of its own, as {@code <counter>-total} and {@code <counter>-rate}, tagged like
     * {@link StreamsMetrics#addRateTotalSensor}'s ({@code thread-id}, {@code metering-id} = the task) plus {@code tags}.
     * {@code addRateTotalSensor} cannot do it: it names its sensor by task and counter only, so two of one counter with
     * different tags would be one sensor recording into both. Removed with {@link StreamsMetrics#removeSensor}.
     *
     * @param tags tag names and values, in pairs
     */
    public static Sensor taggedRateTotalSensor(StreamsMetrics metrics, String taskId, String counter, String description,
                                               String... tags) {
        String thread = Thread.currentThread().getName();
        Map<String, String> tagMap = new LinkedHashMap<>();
        tagMap.put("thread-id", thread);
        tagMap.put(SCOPE + "-id", taskId);
        StringBuilder name = new StringBuilder(thread).append(".task.").append(taskId).append('.').append(SCOPE)
                .append('.').append(counter);
        for (int i = 0; i + 1 < tags.length; i += 2) {
            tagMap.put(tags[i], tags[i + 1]);
            name.append('.').append(tags[i]).append('=').append(tags[i + 1]);
        }
        Sensor sensor = metrics.addSensor(name.toString(), Sensor.RecordingLevel.INFO);
        sensor.add(new MetricName(counter + "-total", GROUP, "The total number of " + description, tagMap), new CumulativeCount());
        sensor.add(new MetricName(counter + "-rate", GROUP, "The average per-second number of " + description, tagMap),
                new Rate(TimeUnit.SECONDS, new WindowedCount()));
        return sensor;
    }

    /**
     * A counter of a task that records amounts, not occurrences: {@code <counter>-total} the sum of the values recorded,
     * {@code <counter>-rate} their per-second sum, tagged as {@link StreamsMetrics#addRateTotalSensor}'s. Removed with
     * {@link StreamsMetrics#removeSensor}.
     */
    public static Sensor rateSumSensor(StreamsMetrics metrics, String taskId, String counter, String description) {
        String thread = Thread.currentThread().getName();
        Map<String, String> tagMap = new LinkedHashMap<>();
        tagMap.put("thread-id", thread);
        tagMap.put(SCOPE + "-id", taskId);
        Sensor sensor = metrics.addSensor(thread + ".task." + taskId + '.' + SCOPE + '.' + counter, Sensor.RecordingLevel.INFO);
        sensor.add(new MetricName(counter + "-total", GROUP, "The total number of " + description, tagMap), new CumulativeSum());
        sensor.add(new MetricName(counter + "-rate", GROUP, "The average per-second number of " + description, tagMap),
                new Rate(TimeUnit.SECONDS, new WindowedSum()));
        return sensor;
    }

    /** Sum of {@code <counter>-total} over all tasks in a metrics map (a KafkaStreams' or a test driver's). */
    public static long total(Map<MetricName, ? extends Metric> metrics, String counter) {
        return total(metrics, counter, Map.of());
    }

    /** Sum of {@code <counter>-total} over all tasks, of the series carrying each of {@code tags}. */
    public static long total(Map<MetricName, ? extends Metric> metrics, String counter, Map<String, String> tags) {
        double sum = 0;
        for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
            MetricName n = e.getKey();
            if (n.group().equals(GROUP) && n.name().equals(counter + "-total")
                    && n.tags().entrySet().containsAll(tags.entrySet())) {
                sum += ((Number) e.getValue().metricValue()).doubleValue();
            }
        }
        return (long) sum;
    }
}
