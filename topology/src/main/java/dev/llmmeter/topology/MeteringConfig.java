package dev.llmmeter.topology;

import dev.llmmeter.contract.Topics;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The metering settings (everything under {@code metering.}): topic names and the seed's windows.
 * Defaults are the seed's. Built from a properties map with {@link #fromMap}, which rejects unknown
 * {@code metering.*} keys and bad values with a message that names the setting.
 *
 * @param deltasTopic     input topic of delta events
 * @param statsTopic      output topic of stats
 * @param deadLetterTopic topic of dead-lettered input
 * @param staleMs         a session whose last delta is older than this at a tick is pruned (seed: 60 s)
 * @param hourWindowMs    readings older than this are dropped from high/low (seed: 3600 s)
 * @param beginExpiryMs   a session with no delta this long after its begin is dropped (deviation; 600 s)
 * @param partialTtlMs    the combiner forgets a session task that has not reported for this long
 * @param combinerGraceMs how long after a tick fires the combiner waits for late partials before it
 *                        emits that tick with what it has
 * @param maxFutureMs     an event whose time is more than this ahead of the meter's wall clock is dead-lettered
 *                        ({@code future_ts}): one event dated 2100 would otherwise pin its session for good
 * @param maxSessionsPerTask the most sessions one session task keeps; a begin beyond it evicts a session
 *                        (begin-only ones first, oldest first) and counts it in {@code evicted-sessions}
 * @param streamsTopic    output topic of per-stream records (compacted, key = stream id)
 * @param insightsTopic   output topic of the per-group insights
 * @param streamsRetentionMs how long after a stream's final record its tombstone follows on the streams topic
 * @param insightsMaxLabels the most distinct models (and, apart, tenants) with a group of their own in the
 *                        insights; the rest are folded into {@code other} (counted in {@code folded-labels})
 * @param insightsMaxLabelsPerTask the most distinct models (and, apart, tenants) a session task tallies apart in
 *                        its partials, which bounds a partial's size; at least {@code insightsMaxLabels}. A begin
 *                        naming one more counts in {@code other} whatever the combiner decides for its label
 *                        (counted in {@code overflowed-sessions})
 */
public record MeteringConfig(String deltasTopic, String statsTopic, String deadLetterTopic,
                             long staleMs, long hourWindowMs, long beginExpiryMs,
                             long partialTtlMs, long combinerGraceMs, long maxFutureMs, int maxSessionsPerTask,
                             String streamsTopic, String insightsTopic, long streamsRetentionMs, int insightsMaxLabels,
                             int insightsMaxLabelsPerTask) {

    public static final String PREFIX = "metering.";
    public static final String DELTAS_TOPIC = "metering.topic.deltas";
    public static final String STATS_TOPIC = "metering.topic.stats";
    public static final String DLQ_TOPIC = "metering.topic.dlq";
    public static final String STREAMS_TOPIC = "metering.topic.streams";
    public static final String INSIGHTS_TOPIC = "metering.topic.insights";
    public static final String STREAMS_RETENTION_MS = "metering.streams.retention.ms";
    public static final String INSIGHTS_MAX_LABELS = "metering.insights.max.labels";
    public static final String INSIGHTS_MAX_LABELS_PER_TASK = "metering.insights.max.labels.per.task";
    /** {@link #INSIGHTS_MAX_LABELS_PER_TASK} when not set: this, or {@link #INSIGHTS_MAX_LABELS} when that is larger. */
    static final int DEFAULT_MAX_LABELS_PER_TASK = 200;
    /**
     * Upper limit of {@link #INSIGHTS_MAX_LABELS} and {@link #INSIGHTS_MAX_LABELS_PER_TASK}; the latter bounds the size
     * of a partial (see {@code PartialSerde}).
     */
    public static final int MAX_LABELS_LIMIT = 1000;
    public static final String STALE_MS = "metering.stale.ms";
    public static final String HOUR_WINDOW_MS = "metering.hour.window.ms";
    public static final String BEGIN_EXPIRY_MS = "metering.begin.expiry.ms";
    public static final String PARTIAL_TTL_MS = "metering.partial.ttl.ms";
    public static final String COMBINER_GRACE_MS = "metering.combiner.grace.ms";
    public static final String MAX_FUTURE_MS = "metering.max.future.ms";
    public static final String MAX_SESSIONS_PER_TASK = "metering.max.sessions.per.task";
    /**
     * Upper limit of {@link #MAX_FUTURE_MS}, one day: no producer's clock is a day ahead of the meter's by mere skew,
     * and the combiner adds the setting to its clock ({@code StatsCombiner.init}), which must not overflow.
     */
    public static final long MAX_FUTURE_LIMIT_MS = 86_400_000L;

    /** Every setting this record reads, with its default, in documentation order. */
    public static final Map<String, String> DEFAULTS = defaultsInOrder();

    public MeteringConfig {
        requirePositive(STALE_MS, staleMs);
        requirePositive(HOUR_WINDOW_MS, hourWindowMs);
        requirePositive(BEGIN_EXPIRY_MS, beginExpiryMs);
        requirePositive(PARTIAL_TTL_MS, partialTtlMs);
        requirePositive(MAX_FUTURE_MS, maxFutureMs);
        if (maxFutureMs > MAX_FUTURE_LIMIT_MS) {
            throw new IllegalArgumentException(MAX_FUTURE_MS + " must be at most " + MAX_FUTURE_LIMIT_MS
                    + " ms (one day), got " + maxFutureMs);
        }
        requirePositive(STREAMS_RETENTION_MS, streamsRetentionMs);
        if (insightsMaxLabels < 1 || insightsMaxLabels > MAX_LABELS_LIMIT) {
            throw new IllegalArgumentException(INSIGHTS_MAX_LABELS + " must be between 1 and " + MAX_LABELS_LIMIT
                    + " labels, got " + insightsMaxLabels);
        }
        if (insightsMaxLabelsPerTask < insightsMaxLabels || insightsMaxLabelsPerTask > MAX_LABELS_LIMIT) {
            throw new IllegalArgumentException(INSIGHTS_MAX_LABELS_PER_TASK + " must be between " + INSIGHTS_MAX_LABELS + " ("
                    + insightsMaxLabels + ") and " + MAX_LABELS_LIMIT + " labels, got " + insightsMaxLabelsPerTask);
        }
        if (maxSessionsPerTask <= 0) {
            throw new IllegalArgumentException(MAX_SESSIONS_PER_TASK + " must be a positive number of sessions, got " + maxSessionsPerTask);
        }
        if (combinerGraceMs < 0 || combinerGraceMs >= Ticks.INTERVAL.toMillis()) {
            throw new IllegalArgumentException(COMBINER_GRACE_MS + " must be between 0 and 999 ms, got " + combinerGraceMs);
        }
        List<String> topics = java.util.Arrays.asList(deltasTopic, statsTopic, deadLetterTopic, streamsTopic, insightsTopic);
        for (String topic : topics) {
            if (topic == null || topic.isBlank()) {
                throw new IllegalArgumentException("topic names must not be empty");
            }
        }
        if (new java.util.HashSet<>(topics).size() != topics.size()) {
            throw new IllegalArgumentException("the deltas, stats, dead-letter, streams and insights topics must be five different "
                    + "topics, got " + String.join(", ", topics));
        }
    }

    public static MeteringConfig defaults() {
        return fromMap(Map.of());
    }

    /**
     * Reads the {@code metering.*} entries of a properties map (other entries, such as Kafka client
     * settings, are left alone).
     *
     * @throws IllegalArgumentException naming the setting, for an unknown {@code metering.*} key or a bad value
     */
    public static MeteringConfig fromMap(Map<?, ?> props) {
        return fromMap(props, Set.of());
    }

    /**
     * As {@link #fromMap(Map)}, where the process running the topology has {@code metering.*} settings of its own
     * (the app's topic creation): those are known, and left to it.
     */
    public static MeteringConfig fromMap(Map<?, ?> props, Set<String> othersKnown) {
        Map<String, String> merged = new TreeMap<>();
        for (Map.Entry<?, ?> e : props.entrySet()) {
            String key = String.valueOf(e.getKey());
            if (key.startsWith(PREFIX)) {
                if (othersKnown.contains(key)) {
                    continue;
                }
                if (!DEFAULTS.containsKey(key)) {
                    List<String> known = new java.util.ArrayList<>(DEFAULTS.keySet());
                    known.addAll(othersKnown);
                    throw new IllegalArgumentException("unknown setting " + key + "; known metering settings: "
                            + String.join(", ", known));
                }
                merged.put(key, String.valueOf(e.getValue()).trim());
            }
        }
        return new MeteringConfig(
                merged.getOrDefault(DELTAS_TOPIC, DEFAULTS.get(DELTAS_TOPIC)),
                merged.getOrDefault(STATS_TOPIC, DEFAULTS.get(STATS_TOPIC)),
                merged.getOrDefault(DLQ_TOPIC, DEFAULTS.get(DLQ_TOPIC)),
                millis(merged, STALE_MS),
                millis(merged, HOUR_WINDOW_MS),
                millis(merged, BEGIN_EXPIRY_MS),
                millis(merged, PARTIAL_TTL_MS),
                millis(merged, COMBINER_GRACE_MS),
                millis(merged, MAX_FUTURE_MS),
                count(merged, MAX_SESSIONS_PER_TASK),
                merged.getOrDefault(STREAMS_TOPIC, DEFAULTS.get(STREAMS_TOPIC)),
                merged.getOrDefault(INSIGHTS_TOPIC, DEFAULTS.get(INSIGHTS_TOPIC)),
                millis(merged, STREAMS_RETENTION_MS),
                count(merged, INSIGHTS_MAX_LABELS),
                merged.containsKey(INSIGHTS_MAX_LABELS_PER_TASK) ? count(merged, INSIGHTS_MAX_LABELS_PER_TASK)
                        : Math.max(DEFAULT_MAX_LABELS_PER_TASK, count(merged, INSIGHTS_MAX_LABELS)));
    }

    private static long millis(Map<String, String> merged, String key) {
        String raw = merged.getOrDefault(key, DEFAULTS.get(key));
        try {
            return Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number of milliseconds, got '" + raw + "'");
        }
    }

    private static int count(Map<String, String> merged, String key) {
        String raw = merged.getOrDefault(key, DEFAULTS.get(key));
        try {
            return Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number up to " + Integer.MAX_VALUE + ", got '" + raw + "'");
        }
    }

    private static void requirePositive(String key, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(key + " must be a positive number of milliseconds, got " + value);
        }
    }

    private static Map<String, String> defaultsInOrder() {
        Map<String, String> d = new java.util.LinkedHashMap<>();
        d.put(DELTAS_TOPIC, Topics.DELTAS.name());
        d.put(STATS_TOPIC, Topics.STATS.name());
        d.put(DLQ_TOPIC, Topics.DEAD_LETTERS.name());
        d.put(STREAMS_TOPIC, Topics.STREAMS.name());
        d.put(INSIGHTS_TOPIC, Topics.INSIGHTS.name());
        d.put(STALE_MS, "60000");
        d.put(HOUR_WINDOW_MS, "3600000");
        d.put(BEGIN_EXPIRY_MS, "600000");
        d.put(PARTIAL_TTL_MS, "30000");
        d.put(COMBINER_GRACE_MS, "500");
        d.put(MAX_FUTURE_MS, "300000");
        d.put(MAX_SESSIONS_PER_TASK, "200000");
        d.put(STREAMS_RETENTION_MS, "3600000");
        d.put(INSIGHTS_MAX_LABELS, "100");
        d.put(INSIGHTS_MAX_LABELS_PER_TASK, String.valueOf(DEFAULT_MAX_LABELS_PER_TASK));
        return java.util.Collections.unmodifiableMap(d);
    }
}
