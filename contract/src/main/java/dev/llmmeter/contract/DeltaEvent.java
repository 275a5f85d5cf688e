package dev.llmmeter.contract;

import java.util.Objects;

/**
 * One validated delta event.
 *
 * @param type              begin, output, reasoning or end
 * @param streamId          the stream id (also the record key)
 * @param ts                event time in epoch ms, or {@link #NO_TS} when the producer sent none
 *                          (the record timestamp is used then)
 * @param running           running count for output/reasoning; 0 otherwise
 * @param finalOutputTokens for end; 0 otherwise
 * @param inputTokens       for end (optional on the wire, default 0); 0 otherwise
 * @param model             for begin: the model serving the stream (1-256 characters), or null when not given
 * @param tenant            for begin: the tenant the stream is for (1-256 characters), or null when not given
 * @param reasoningTokens   for end (optional): the provider's reasoning tokens, or {@link #NOT_GIVEN}
 * @param cachedInputTokens for end (optional): the provider's cached input tokens, or {@link #NOT_GIVEN}
 */
public record DeltaEvent(EventType type, String streamId, long ts, long running,
                         long finalOutputTokens, long inputTokens, String model, String tenant,
                         long reasoningTokens, long cachedInputTokens) {

    /** Marks an event that carried no {@code ts}. */
    public static final long NO_TS = -1L;
    /** Marks an optional count the event did not carry. */
    public static final long NOT_GIVEN = -1L;

    public DeltaEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(streamId, "streamId");
    }

    /** An event without the end's optional provider figures. */
    public DeltaEvent(EventType type, String streamId, long ts, long running, long finalOutputTokens, long inputTokens,
                      String model, String tenant) {
        this(type, streamId, ts, running, finalOutputTokens, inputTokens, model, tenant, NOT_GIVEN, NOT_GIVEN);
    }

    /** An event without model and tenant (every type but begin, and a begin that names neither). */
    public DeltaEvent(EventType type, String streamId, long ts, long running, long finalOutputTokens, long inputTokens) {
        this(type, streamId, ts, running, finalOutputTokens, inputTokens, null, null);
    }

    public static DeltaEvent begin(String streamId, long ts) {
        return new DeltaEvent(EventType.BEGIN, streamId, ts, 0, 0, 0);
    }

    /** A begin naming the stream's model and tenant (either may be null). */
    public static DeltaEvent begin(String streamId, long ts, String model, String tenant) {
        return new DeltaEvent(EventType.BEGIN, streamId, ts, 0, 0, 0, model, tenant);
    }

    public static DeltaEvent output(String streamId, long ts, long running) {
        return new DeltaEvent(EventType.OUTPUT, streamId, ts, running, 0, 0);
    }

    public static DeltaEvent reasoning(String streamId, long ts, long running) {
        return new DeltaEvent(EventType.REASONING, streamId, ts, running, 0, 0);
    }

    public static DeltaEvent end(String streamId, long ts, long finalOutputTokens, long inputTokens) {
        return new DeltaEvent(EventType.END, streamId, ts, 0, finalOutputTokens, inputTokens);
    }

    /** An end with the provider's reasoning and cached input tokens ({@link #NOT_GIVEN} for either when not given). */
    public static DeltaEvent end(String streamId, long ts, long finalOutputTokens, long inputTokens, long reasoningTokens,
                                 long cachedInputTokens) {
        return new DeltaEvent(EventType.END, streamId, ts, 0, finalOutputTokens, inputTokens, null, null,
                reasoningTokens, cachedInputTokens);
    }

    public boolean hasTs() {
        return ts != NO_TS;
    }

    /** @return the event time: its own {@code ts}, else the given record timestamp. */
    public long eventTime(long recordTimestamp) {
        return ts != NO_TS ? ts : recordTimestamp;
    }

    public boolean isDelta() {
        return type == EventType.OUTPUT || type == EventType.REASONING;
    }
}
