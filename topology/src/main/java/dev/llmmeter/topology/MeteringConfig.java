package dev.llmmeter.topology;

import dev.llmmeter.contract.Topics;
import dev.llmmeter.topology.insights.SloObjectives;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.apache.kafka.common.config.ConfigDef.Range.atLeast;
import static org.apache.kafka.common.config.ConfigDef.Range.between;

/**
 * The metering settings (everything under {@code metering.}): topic names, the seed's windows and the bounds.
 * Each setting is one line of {@link #CONFIG}, Kafka's own {@link ConfigDef}: name, type, default (the seed's),
 * validator and doc; the configuration table of docs/operations.md is generated from it. Built from a properties
 * map with {@link #fromMap}, which rejects unknown {@code metering.*} keys and bad values with one line naming
 * the setting; the checks across settings ({@link #requireConsistent}) follow Kafka's per-setting validation.
 */
public final class MeteringConfig extends AbstractConfig {

    public static final String PREFIX = "metering.";
    public static final String DELTAS_TOPIC = "metering.topic.deltas";
    public static final String STATS_TOPIC = "metering.topic.stats";
    public static final String DLQ_TOPIC = "metering.topic.dlq";
    public static final String STREAMS_TOPIC = "metering.topic.streams";
    public static final String INSIGHTS_TOPIC = "metering.topic.insights";
    public static final String STALE_MS = "metering.stale.ms";
    public static final String HOUR_WINDOW_MS = "metering.hour.window.ms";
    public static final String BEGIN_EXPIRY_MS = "metering.begin.expiry.ms";
    public static final String PARTIAL_TTL_MS = "metering.partial.ttl.ms";
    public static final String COMBINER_GRACE_MS = "metering.combiner.grace.ms";
    public static final String MAX_FUTURE_MS = "metering.max.future.ms";
    public static final String MAX_SESSIONS_PER_TASK = "metering.max.sessions.per.task";
    public static final String STREAMS_RETENTION_MS = "metering.streams.retention.ms";
    public static final String INSIGHTS_MAX_LABELS = "metering.insights.max.labels";
    public static final String INSIGHTS_MAX_LABELS_PER_TASK = "metering.insights.max.labels.per.task";
    public static final String USAGE_TOPIC = "metering.topic.usage";
    public static final String USAGE_GRACE_MS = "metering.usage.grace.ms";
    public static final String USAGE_DEDUPE_MS = "metering.usage.dedupe.ms";
    public static final String USAGE_DEDUPE_MAX_IDS = "metering.usage.dedupe.max.ids";
    public static final String SLO_TTFT_MS = "metering.slo.ttft.ms";
    public static final String SLO_TPOT_MS = "metering.slo.tpot.ms";
    public static final String SLO_TARGET = "metering.slo.target";
    /** Models' own objectives in one setting ({@link SloModelList}), for where a name cannot carry the model's. */
    public static final String SLO_MODELS = "metering.slo.models";
    /** A model's own objective: {@code metering.slo.ttft.ms.model.NAME} (and likewise for TPOT). */
    public static final String SLO_MODEL_INFIX = ".model.";

    /** {@link #INSIGHTS_MAX_LABELS_PER_TASK} when not set: this, or {@link #INSIGHTS_MAX_LABELS} when that is larger. */
    static final int DEFAULT_MAX_LABELS_PER_TASK = 200;
    /**
     * Upper limit of {@link #INSIGHTS_MAX_LABELS} and {@link #INSIGHTS_MAX_LABELS_PER_TASK}; the latter bounds the size
     * of a partial (see {@code PartialSerde}).
     */
    public static final int MAX_LABELS_LIMIT = 1000;
    /**
     * Upper limit of {@link #MAX_FUTURE_MS}, one day: no producer's clock is a day ahead of the meter's by mere skew,
     * and the combiner adds the setting to its clock ({@code StatsCombiner.init}), which must not overflow.
     */
    public static final long MAX_FUTURE_LIMIT_MS = 86_400_000L;

    private static final ConfigDef.Validator TOPIC = new ConfigDef.NonEmptyStringWithoutControlChars();
    /** An objective: unset, or a positive number of milliseconds. */
    private static final ConfigDef.Validator OBJECTIVE = (name, value) -> {
        if (value != null && !(value instanceof Double d && d > 0 && Double.isFinite(d))) {
            throw new ConfigException(name, value, "must be a positive number of milliseconds");
        }
    };

    /** Every setting of the topology, one line each, in documentation order. */
    public static final ConfigDef CONFIG = new ConfigDef()
            .define(DELTAS_TOPIC, Type.STRING, Topics.DELTAS.name(), TOPIC, Importance.HIGH, "input topic")
            .define(STATS_TOPIC, Type.STRING, Topics.STATS.name(), TOPIC, Importance.HIGH, "output topic")
            .define(DLQ_TOPIC, Type.STRING, Topics.DEAD_LETTERS.name(), TOPIC, Importance.HIGH, "dead-letter topic")
            .define(STREAMS_TOPIC, Type.STRING, Topics.STREAMS.name(), TOPIC, Importance.MEDIUM,
                    "per-stream records (compacted; as many partitions as the input when the app creates it)")
            .define(INSIGHTS_TOPIC, Type.STRING, Topics.INSIGHTS.name(), TOPIC, Importance.MEDIUM, "per-group insights")
            .define(USAGE_TOPIC, Type.STRING, Topics.USAGE.name(), TOPIC, Importance.MEDIUM,
                    "the usage ledger: CloudEvents records of token usage per (tenant, model) and minute or hour")
            .define(STALE_MS, Type.LONG, 60_000L, atLeast(1), Importance.MEDIUM,
                    "a session whose last delta is older than this at a tick is pruned")
            .define(HOUR_WINDOW_MS, Type.LONG, 3_600_000L, atLeast(1), Importance.MEDIUM,
                    "readings older than this leave high/low")
            .define(BEGIN_EXPIRY_MS, Type.LONG, 600_000L, atLeast(1), Importance.LOW,
                    "a session with no delta this long after its begin is dropped")
            .define(PARTIAL_TTL_MS, Type.LONG, 30_000L, atLeast(1), Importance.LOW,
                    "the combiner forgets a session task silent this long")
            .define(COMBINER_GRACE_MS, Type.LONG, 500L, between(0, Ticks.INTERVAL.toMillis() - 1), Importance.LOW,
                    "how long past a tick the combiner waits for late partials; 0 to 999")
            .define(MAX_FUTURE_MS, Type.LONG, 300_000L, between(1, MAX_FUTURE_LIMIT_MS), Importance.LOW,
                    "an event dated further ahead of the meter's clock is dead-lettered (`future_ts`); at most `86400000` (a day)")
            .define(MAX_SESSIONS_PER_TASK, Type.INT, 200_000, atLeast(1), Importance.MEDIUM,
                    "sessions one session task keeps; beyond it a begin evicts one, begin-only ones first, oldest first "
                            + "(`evicted-sessions`)")
            .define(STREAMS_RETENTION_MS, Type.LONG, 3_600_000L, atLeast(1), Importance.LOW,
                    "how long after a stream's final record its tombstone follows on `metering.streams`")
            .define(INSIGHTS_MAX_LABELS, Type.INT, 100, between(1, MAX_LABELS_LIMIT), Importance.LOW,
                    "models (and, apart, tenants) with a group of their own; the rest fold into `other` (`folded-labels`; "
                            + "the rule: [Bounds](contract.md#bounds)); 1 to 1000")
            .define(INSIGHTS_MAX_LABELS_PER_TASK, Type.INT, DEFAULT_MAX_LABELS_PER_TASK, between(1, MAX_LABELS_LIMIT), Importance.LOW,
                    "models (and, apart, tenants) one session task tallies apart at once, which bounds a partial's size; a session "
                            + "whose label is new to the task beyond it counts in `other` (`overflowed-sessions`); from "
                            + "`metering.insights.max.labels` to 1000; unset, `metering.insights.max.labels` when that is larger")
            .define(USAGE_GRACE_MS, Type.LONG, 300_000L, between(0, MAX_FUTURE_LIMIT_MS), Importance.MEDIUM,
                    "how long after its end a usage window waits for late ends before its record is published; a later "
                            + "end is billed in an amendment (`late-usage`)")
            .define(USAGE_DEDUPE_MS, Type.LONG, 3_600_000L, between(1, MAX_FUTURE_LIMIT_MS), Importance.LOW,
                    "how long the ledger remembers a billed stream id, so that a redelivered end is billed once "
                            + "(`duplicate-usage`)")
            .define(USAGE_DEDUPE_MAX_IDS, Type.INT, 1_000_000, atLeast(1), Importance.LOW,
                    "billed stream ids one ledger task remembers at most; beyond it the oldest is forgotten early "
                            + "(`usage-dedupe-evictions`)")
            .define(SLO_TTFT_MS, Type.DOUBLE, null, OBJECTIVE, Importance.LOW,
                    "time-to-first-token objective in ms; a model's own: `metering.slo.ttft.ms.model.NAME`; unset, streams "
                            + "are not judged on TTFT ([Service level objectives](contract.md#service-level-objectives))")
            .define(SLO_TPOT_MS, Type.DOUBLE, null, OBJECTIVE, Importance.LOW,
                    "time-per-output-token objective in ms; a model's own: `metering.slo.tpot.ms.model.NAME`; unset, streams "
                            + "are not judged on TPOT")
            .define(SLO_TARGET, Type.DOUBLE, 0.99, between(0.0, 1.0), Importance.LOW,
                    "the SLO attainment aimed at, a share from 0 to 1, published with the figures (`slo.target`)")
            .define(SLO_MODELS, Type.STRING, "", (name, value) -> SloModelList.parse(name, (String) value), Importance.LOW,
                    "models' own objectives in one setting, as `METERING_SLO_MODELS` can set them: `MODEL=ttft:MS,tpot:MS` "
                            + "entries (either objective or both) separated by `;`, e.g. "
                            + "`llama-3.1-70b=ttft:500,tpot:50;gpt-x=ttft:800`; a model's own "
                            + "`metering.slo.ttft.ms.model.NAME` (or `tpot`) wins over its entry");

    /** Every setting with its default as text, in documentation order. */
    public static final Map<String, String> DEFAULTS = defaultsInOrder();

    // Read once: the processors read some of these per record, and AbstractConfig's getters record each use.
    private final String deltasTopic;
    private final String statsTopic;
    private final String deadLetterTopic;
    private final String streamsTopic;
    private final String insightsTopic;
    private final long staleMs;
    private final long hourWindowMs;
    private final long beginExpiryMs;
    private final long partialTtlMs;
    private final long combinerGraceMs;
    private final long maxFutureMs;
    private final int maxSessionsPerTask;
    private final long streamsRetentionMs;
    private final int insightsMaxLabels;
    private final int insightsMaxLabelsPerTask;
    private final String usageTopic;
    private final long usageGraceMs;
    private final long usageDedupeMs;
    private final int usageDedupeMaxIds;
    private final SloObjectives sloObjectives;

    private MeteringConfig(Map<String, String> settings, Map<String, Double> ttftByModel, Map<String, Double> tpotByModel) {
        super(CONFIG, settings, false);
        deltasTopic = getString(DELTAS_TOPIC);
        statsTopic = getString(STATS_TOPIC);
        deadLetterTopic = getString(DLQ_TOPIC);
        streamsTopic = getString(STREAMS_TOPIC);
        insightsTopic = getString(INSIGHTS_TOPIC);
        staleMs = getLong(STALE_MS);
        hourWindowMs = getLong(HOUR_WINDOW_MS);
        beginExpiryMs = getLong(BEGIN_EXPIRY_MS);
        partialTtlMs = getLong(PARTIAL_TTL_MS);
        combinerGraceMs = getLong(COMBINER_GRACE_MS);
        maxFutureMs = getLong(MAX_FUTURE_MS);
        maxSessionsPerTask = getInt(MAX_SESSIONS_PER_TASK);
        streamsRetentionMs = getLong(STREAMS_RETENTION_MS);
        insightsMaxLabels = getInt(INSIGHTS_MAX_LABELS);
        insightsMaxLabelsPerTask = settings.containsKey(INSIGHTS_MAX_LABELS_PER_TASK) ? getInt(INSIGHTS_MAX_LABELS_PER_TASK)
                : Math.max(DEFAULT_MAX_LABELS_PER_TASK, insightsMaxLabels);
        usageTopic = getString(USAGE_TOPIC);
        usageGraceMs = getLong(USAGE_GRACE_MS);
        usageDedupeMs = getLong(USAGE_DEDUPE_MS);
        usageDedupeMaxIds = getInt(USAGE_DEDUPE_MAX_IDS);
        Double ttft = getDouble(SLO_TTFT_MS);
        Double tpot = getDouble(SLO_TPOT_MS);
        Map<String, Double> ttftOwn = new LinkedHashMap<>(ttftByModel);
        Map<String, Double> tpotOwn = new LinkedHashMap<>(tpotByModel);
        SloModelList.parse(SLO_MODELS, getString(SLO_MODELS)).forEach((model, o) -> {
            if (!Double.isNaN(o.ttftMs())) {
                ttftOwn.putIfAbsent(model, o.ttftMs());
            }
            if (!Double.isNaN(o.tpotMs())) {
                tpotOwn.putIfAbsent(model, o.tpotMs());
            }
        });
        sloObjectives = new SloObjectives(ttft == null ? Double.NaN : ttft, tpot == null ? Double.NaN : tpot, ttftOwn,
                tpotOwn, getDouble(SLO_TARGET));
        requireConsistent();
    }

    /** output topic of the usage ledger */
    public String usageTopic() {
        return usageTopic;
    }

    /** how long a usage window waits past its end for late ends */
    public long usageGraceMs() {
        return usageGraceMs;
    }

    /** how long the ledger remembers a billed stream id */
    public long usageDedupeMs() {
        return usageDedupeMs;
    }

    /** how many billed stream ids one ledger task remembers at most */
    public int usageDedupeMaxIds() {
        return usageDedupeMaxIds;
    }

    /** The checks across settings, after each has passed its own validator. */
    private void requireConsistent() {
        if (insightsMaxLabelsPerTask < insightsMaxLabels) {
            throw new ConfigException(INSIGHTS_MAX_LABELS_PER_TASK + " must be at least " + INSIGHTS_MAX_LABELS + " ("
                    + insightsMaxLabels + "), got " + insightsMaxLabelsPerTask);
        }
        List<String> topics = Arrays.asList(deltasTopic, statsTopic, deadLetterTopic, streamsTopic, insightsTopic, usageTopic);
        if (new HashSet<>(topics).size() != topics.size()) {
            throw new ConfigException("the deltas, stats, dead-letter, streams, insights and usage topics must be six different "
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
        Map<String, String> ours = new LinkedHashMap<>();
        Map<String, Double> ttftByModel = new LinkedHashMap<>();
        Map<String, Double> tpotByModel = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : props.entrySet()) {
            String key = String.valueOf(e.getKey());
            if (modelObjective(key, SLO_TTFT_MS, e.getValue(), ttftByModel) || modelObjective(key, SLO_TPOT_MS, e.getValue(), tpotByModel)) {
                continue;
            }
            if (key.startsWith(PREFIX) && !othersKnown.contains(key)) {
                if (!CONFIG.names().contains(key)) {
                    List<String> known = new ArrayList<>(DEFAULTS.keySet());
                    known.addAll(othersKnown);
                    throw new IllegalArgumentException("unknown setting " + key + "; known metering settings: "
                            + String.join(", ", known));
                }
                ours.put(key, String.valueOf(e.getValue()));
            }
        }
        try {
            return new MeteringConfig(ours, ttftByModel, tpotByModel);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    /**
     * Reads {@code key} into {@code byModel} when it is a model's own objective of {@code setting}
     * ({@code SETTING.model.NAME}).
     *
     * @return whether it was one
     * @throws IllegalArgumentException naming the setting, when its value is not a positive number or it names no model
     */
    private static boolean modelObjective(String key, String setting, Object value, Map<String, Double> byModel) {
        String prefix = setting + SLO_MODEL_INFIX;
        if (!key.startsWith(prefix)) {
            return false;
        }
        String model = key.substring(prefix.length());
        if (model.isEmpty()) {
            throw new IllegalArgumentException("Invalid setting " + key + ": names no model (" + prefix + "NAME)");
        }
        double ms;
        try {
            ms = Double.parseDouble(String.valueOf(value).strip());
        } catch (NumberFormatException e) {
            ms = Double.NaN;
        }
        if (!(ms > 0) || !Double.isFinite(ms)) {
            throw new IllegalArgumentException("Invalid value " + value + " for configuration " + key
                    + ": must be a positive number of milliseconds");
        }
        byModel.put(model, ms);
        return true;
    }

    /** the service level objectives streams are judged against when they leave */
    public SloObjectives sloObjectives() {
        return sloObjectives;
    }

    /** input topic of delta events */
    public String deltasTopic() {
        return deltasTopic;
    }

    /** output topic of stats */
    public String statsTopic() {
        return statsTopic;
    }

    /** topic of dead-lettered input */
    public String deadLetterTopic() {
        return deadLetterTopic;
    }

    /** output topic of per-stream records (compacted, key = stream id) */
    public String streamsTopic() {
        return streamsTopic;
    }

    /** output topic of the per-group insights */
    public String insightsTopic() {
        return insightsTopic;
    }

    /** a session whose last delta is older than this at a tick is pruned (seed: 60 s) */
    public long staleMs() {
        return staleMs;
    }

    /** readings older than this are dropped from high/low (seed: 3600 s) */
    public long hourWindowMs() {
        return hourWindowMs;
    }

    /** a session with no delta this long after its begin is dropped (deviation; 600 s) */
    public long beginExpiryMs() {
        return beginExpiryMs;
    }

    /** the combiner forgets a session task that has not reported for this long */
    public long partialTtlMs() {
        return partialTtlMs;
    }

    /** how long after a tick fires the combiner waits for late partials before it emits that tick with what it has */
    public long combinerGraceMs() {
        return combinerGraceMs;
    }

    /**
     * an event whose time is more than this ahead of the meter's wall clock is dead-lettered ({@code future_ts}): one
     * event dated 2100 would otherwise pin its session for good
     */
    public long maxFutureMs() {
        return maxFutureMs;
    }

    /**
     * the most sessions one session task keeps; a begin beyond it evicts a session (begin-only ones first, oldest
     * first) and counts it in {@code evicted-sessions}
     */
    public int maxSessionsPerTask() {
        return maxSessionsPerTask;
    }

    /** how long after a stream's final record its tombstone follows on the streams topic */
    public long streamsRetentionMs() {
        return streamsRetentionMs;
    }

    /**
     * the most distinct models (and, apart, tenants) with a group of their own in the insights; the rest are folded
     * into {@code other} (counted in {@code folded-labels})
     */
    public int insightsMaxLabels() {
        return insightsMaxLabels;
    }

    /**
     * the most distinct models (and, apart, tenants) a session task tallies apart in its partials, which bounds a
     * partial's size; at least {@link #insightsMaxLabels}. A begin naming one more counts in {@code other} whatever the
     * combiner decides for its label (counted in {@code overflowed-sessions})
     */
    public int insightsMaxLabelsPerTask() {
        return insightsMaxLabelsPerTask;
    }

    @Override
    public String toString() {
        return "MeteringConfig" + values();
    }

    private static Map<String, String> defaultsInOrder() {
        Map<String, String> d = new LinkedHashMap<>();
        CONFIG.configKeys().forEach((name, key) -> d.put(name, String.valueOf(key.defaultValue)));
        return Collections.unmodifiableMap(d);
    }
}
