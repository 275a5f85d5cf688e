package dev.llmmeter.contract;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * One stream's live figures, published to {@link Topics#STREAMS} (key: the stream id): once a second while it
 * receives deltas, and once more when it ends, goes stale or expires.
 *
 * @param streamId  the stream id
 * @param model     the model its begin named, or null
 * @param tenant    the tenant its begin named, or null
 * @param state     active, ended, stale or expired
 * @param tps       the seed's per-stream rate (tokens over the span from first to last delta), rounded to 0.1 as
 *                  Python rounds; null while undefined (fewer than two distinct delta times)
 * @param output    the output running count
 * @param reasoning the reasoning running count
 * @param ttftMs    first delta's ts minus the begin's ts (event time); null until the first delta
 * @param decodeMs  last delta's ts minus the first's (event time); null until the first delta
 * @param beginTs   the begin's ts (event time, epoch ms)
 * @param ts        the tick of the record (epoch ms, a whole second; also the record timestamp)
 * @param tpotMs    on a final record, the stream's time per output token as the insights' {@code tpot_ms} takes it
 *                  (its last output delta's ts minus its first's, over its output tokens - 1: an end's final count,
 *                  else the running count); null on an active record, and on a final one without it (fewer than 2
 *                  output tokens or two output delta times; a record written before the field)
 * @param input     on an {@code ended} record, the end's input tokens (0 when the end gave none, as billed); null
 *                  otherwise (and on a record written before the field)
 */
public record StreamStatus(String streamId, String model, String tenant, State state, Double tps, long output,
                           long reasoning, Long ttftMs, Long decodeMs, long beginTs, long ts, Double tpotMs, Long input) {

    /** A record without the fields of final records only ({@code tpot_ms}, {@code input}): an active one. */
    public StreamStatus(String streamId, String model, String tenant, State state, Double tps, long output,
                        long reasoning, Long ttftMs, Long decodeMs, long beginTs, long ts) {
        this(streamId, model, tenant, state, tps, output, reasoning, ttftMs, decodeMs, beginTs, ts, null, null);
    }

    /** Where the stream stands; every state but {@link #ACTIVE} is final. */
    public enum State {
        ACTIVE("active"), ENDED("ended"), STALE("stale"), EXPIRED("expired");

        private final String wireName;

        State(String wireName) {
            this.wireName = wireName;
        }

        @JsonValue
        public String wireName() {
            return wireName;
        }

        @JsonCreator
        public static State fromWireName(String name) {
            for (State s : values()) {
                if (s.wireName.equals(name)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("unknown stream state " + name);
        }
    }
}
