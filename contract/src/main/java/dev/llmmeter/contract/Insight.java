package dev.llmmeter.contract;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * One group's figures at a stats tick, published to {@link Topics#INSIGHTS}: key {@code global},
 * {@code model:NAME} or {@code tenant:NAME}.
 *
 * @param ts        the tick (epoch ms; also the record timestamp)
 * @param group     global, model or tenant
 * @param name      the model or tenant name; null for global
 * @param active    live sessions of the group
 * @param tps       the seed's mean of per-stream rates over the group's sessions, rounded like the seed; null when none
 * @param systemTps the increase of output + reasoning running counts applied in the last 10 s, over 10, to 0.1
 * @param ttftMs    time to first delta over the streams whose first delta was applied in the last 60 s; null when none
 * @param itlMs     event-time gaps between consecutive deltas of a stream, for deltas applied in the last 60 s; null when none
 * @param tpotMs    time per output token of each stream that left in the last 60 s (decode time, its last output delta's
 *                  event time minus its first's, over its output tokens minus 1; streams with fewer than 2 output tokens
 *                  or two output deltas at distinct times give none); null when none, and when read from a record
 *                  written before the field existed
 * @param started   begins applied in the last 60 s
 * @param ended     ends applied in the last 60 s
 * @param slo       the service level objectives the group's streams are judged against and how many met them, over
 *                  the streams that left in the last minute and the last hour; null (and absent from the JSON) when no
 *                  objective is set, and when read from a record written before the field existed
 */
public record Insight(long ts, Group group, String name, long active, Double tps, double systemTps,
                      Percentiles ttftMs, Percentiles itlMs, Percentiles tpotMs, long started, long ended,
                      @JsonInclude(JsonInclude.Include.NON_NULL) Slo slo) {

    /** A record without service level figures. */
    public Insight(long ts, Group group, String name, long active, Double tps, double systemTps,
                   Percentiles ttftMs, Percentiles itlMs, Percentiles tpotMs, long started, long ended) {
        this(ts, group, name, active, tps, systemTps, ttftMs, itlMs, tpotMs, started, ended, null);
    }

    /** The breakdowns. */
    public enum Group {
        GLOBAL("global"), MODEL("model"), TENANT("tenant");

        private final String wireName;

        Group(String wireName) {
            this.wireName = wireName;
        }

        @JsonValue
        public String wireName() {
            return wireName;
        }

        @JsonCreator
        public static Group fromWireName(String name) {
            for (Group g : values()) {
                if (g.wireName.equals(name)) {
                    return g;
                }
            }
            throw new IllegalArgumentException("unknown insights group " + name);
        }
    }

    /** The record key: {@code global}, {@code model:NAME} or {@code tenant:NAME}. */
    public String key() {
        return switch (group) {
            case GLOBAL -> Topics.STATS_KEY;
            case MODEL -> Topics.MODEL_KEY_PREFIX + name;
            case TENANT -> Topics.TENANT_KEY_PREFIX + name;
        };
    }

    /**
     * Percentiles in ms, each within 1% of the exact value (see the topology's {@code LatencySketch}), and how many
     * values they summarise.
     */
    public record Percentiles(double p50, double p90, double p99, long count) {
    }

    /**
     * A group's service level objectives and attainment.
     *
     * @param ttftObjectiveMs the time-to-first-token objective its streams are judged against (a model's own, else the
     *                        default); null when unset
     * @param tpotObjectiveMs the time-per-output-token objective, as {@code ttftObjectiveMs}
     * @param target          the SLO attainment aimed at ({@code metering.slo.target}, 0 to 1)
     * @param lastMinute      over the streams that left in the last 60 s
     * @param lastHour        over the streams that left in the minutes begun in the last hour
     */
    public record Slo(Double ttftObjectiveMs, Double tpotObjectiveMs, double target, Attainment lastMinute, Attainment lastHour) {
    }

    /**
     * How many streams met their objectives in a window. A stream is judged on TTFT when its model has a TTFT
     * objective (one that never had a delta misses it); on TPOT when its model has a TPOT objective and the stream has
     * a time per output token; met all when it met every objective it was judged on. A value exactly at its objective
     * meets it.
     *
     * @param streams      streams judged on at least one objective
     * @param ttftStreams  streams judged on TTFT
     * @param ttftMet      of those, how many met it
     * @param tpotStreams  streams judged on TPOT
     * @param tpotMet      of those, how many met it
     * @param met          streams that met all the objectives they were judged on
     * @param ttft         {@code ttftMet / ttftStreams}; null when no stream was judged on TTFT
     * @param tpot         {@code tpotMet / tpotStreams}; null when none
     * @param all          the SLO attainment, {@code met / streams}; null when none
     * @param goodputStreamsPerSecond {@code met} over the window's length in seconds (60 or 3600)
     * @param goodputTokensPerSecond  the output tokens of those streams over the window's length in seconds
     */
    public record Attainment(long streams, long ttftStreams, long ttftMet, long tpotStreams, long tpotMet, long met,
                             Double ttft, Double tpot, Double all, double goodputStreamsPerSecond,
                             double goodputTokensPerSecond) {
    }
}
