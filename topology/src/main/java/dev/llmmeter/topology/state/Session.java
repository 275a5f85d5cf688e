package dev.llmmeter.topology.state;

import dev.llmmeter.contract.EventType;

/**
 * One stream's meter: the seed's {@code _SessionMeter}, on event time. Mutable: the session processor
 * updates it in place on every delta and writes it through to the {@code sessions} store.
 */
public final class Session {
    /** {@link #firstDeltaTs} before the first delta (the seed's {@code first_token_ts == 0.0}). */
    static final long NO_DELTA = Long.MIN_VALUE;

    private final long beginTs;
    private long outputTokens;
    private long reasoningTokens;
    private long firstDeltaTs;
    private long lastDeltaTs;
    /** Set while a {@link SessionsStore} holds this session for its next flush. */
    boolean pendingWrite;

    Session(long beginTs, long outputTokens, long reasoningTokens, long firstDeltaTs, long lastDeltaTs) {
        this.beginTs = beginTs;
        this.outputTokens = outputTokens;
        this.reasoningTokens = reasoningTokens;
        this.firstDeltaTs = firstDeltaTs;
        this.lastDeltaTs = lastDeltaTs;
    }

    /** A session just begun at {@code beginTs}, waiting for its first delta. */
    public static Session begun(long beginTs) {
        return new Session(beginTs, 0, 0, NO_DELTA, NO_DELTA);
    }

    /**
     * Applies a delta, as the seed's {@code record_token}/{@code record_reasoning} do, unless it is out of
     * order: its running count below this session's count of that kind, or its time before the last delta.
     *
     * @return false when the delta was out of order and left the session unchanged
     */
    public boolean applyDelta(EventType kind, long running, long ts) {
        long current = kind == EventType.OUTPUT ? outputTokens : reasoningTokens;
        if (running < current || (hasDelta() && ts < lastDeltaTs)) {
            return false;
        }
        if (!hasDelta()) {
            firstDeltaTs = ts;
        }
        lastDeltaTs = ts;
        if (kind == EventType.OUTPUT) {
            outputTokens = running;
        } else {
            reasoningTokens = running;
        }
        return true;
    }

    public boolean hasDelta() {
        return firstDeltaTs != NO_DELTA;
    }

    /**
     * The seed's {@code _SessionMeter.tps()}: total tokens over the span between first and last delta, in
     * seconds; NaN (the seed's None) while there is no span. Seconds are epoch ms / 1000.0 as doubles and
     * are subtracted as such, the same IEEE operations the seed performs on its clock readings, so a seed
     * fed the same timestamps gives bit-identical values.
     */
    public double tps() {
        if (!hasDelta() || lastDeltaTs <= firstDeltaTs) {
            return Double.NaN;
        }
        return (outputTokens + reasoningTokens) / (lastDeltaTs / 1000.0 - firstDeltaTs / 1000.0);
    }

    /** The seed's stale rule: a session with deltas whose last one is more than {@code staleMs} old at {@code now}. */
    public boolean isStale(long now, long staleMs) {
        return hasDelta() && now - lastDeltaTs > staleMs;
    }

    /**
     * Deviation from the seed: a session that never got a delta expires {@code expiryMs} after its begin,
     * so a producer that dies between begin and first token does not inflate {@code active} for good.
     */
    public boolean isBeginExpired(long now, long expiryMs) {
        return !hasDelta() && now - beginTs > expiryMs;
    }

    public long beginTs() {
        return beginTs;
    }

    public long outputTokens() {
        return outputTokens;
    }

    public long reasoningTokens() {
        return reasoningTokens;
    }

    /** Epoch ms of the first delta; meaningless unless {@link #hasDelta()}. */
    public long firstDeltaTs() {
        return firstDeltaTs;
    }

    public long lastDeltaTs() {
        return lastDeltaTs;
    }

    @Override
    public String toString() {
        return "Session[begin=" + beginTs + ", output=" + outputTokens + ", reasoning=" + reasoningTokens
                + (hasDelta() ? ", first=" + firstDeltaTs + ", last=" + lastDeltaTs : ", no delta") + "]";
    }
}
