package dev.llmmeter.contract;

import com.fasterxml.jackson.annotation.JsonCreator;
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
 */
public record Insight(long ts, Group group, String name, long active, Double tps, double systemTps,
                      Percentiles ttftMs, Percentiles itlMs, Percentiles tpotMs, long started, long ended) {

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
}
