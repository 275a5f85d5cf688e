package dev.llmmeter.topology.state;

import dev.llmmeter.contract.EventType;
import dev.llmmeter.topology.Ticks;

/**
 * One stream's meter: the seed's {@code _SessionMeter}. Two clocks, never compared with each other:
 * <ul>
 *   <li>its rate comes from the events' own times ({@code ts}): Kafka batching and lag must not distort it;</li>
 *   <li>its liveness (stale, begin expiry) comes from when the meter received them ({@link #lastSeenMs}, the
 *   meter's wall clock), as in the seed, which reads its own clock on receipt: a producer whose clock is off,
 *   or a backlog read after an outage, must not make live streams look dead or dead ones live.</li>
 * </ul>
 * The receipt time is not stored: a session restored from the changelog counts as seen at restore.
 * Mutable: the session processor updates it in place on every delta and writes it through to the
 * {@code sessions} store.
 *
 * <p>It holds the seed's state and nothing else. What the others keep about a session lives with them, in the
 * wrapper made once per session: the store's (its numbers in its task, its pending write) in
 * {@link SessionsStore.Entry}, and the session processor's (its key, its insights tallies, its per-tick mark) in
 * the processor's subclass of it.
 */
public final class Session {
    /** {@link #firstDeltaTs} before the first delta (the seed's {@code first_token_ts == 0.0}). */
    static final long NO_DELTA = Long.MIN_VALUE;
    /**
     * {@link #firstOutputTs} of a session restored from a layout that did not keep its output deltas' times: its time
     * per output token is not known, and it gives none.
     */
    static final long UNTRACKED = Long.MAX_VALUE;

    private final long beginTs;
    /** The model and tenant the begin named (null when it named none): kept in the store. */
    private final String model;
    private final String tenant;
    private long outputTokens;
    private long reasoningTokens;
    private long firstDeltaTs;
    private long lastDeltaTs;
    /** Event times of the first and last output delta ({@link #NO_DELTA} before one, {@link #UNTRACKED}): for TPOT. */
    private long firstOutputTs;
    private long lastOutputTs;
    /** Meter wall-clock time of the begin, or of the last applied delta, or of the restore: liveness only. */
    private long lastSeenMs;

    Session(long beginTs, long outputTokens, long reasoningTokens, long firstDeltaTs, long lastDeltaTs) {
        this(beginTs, outputTokens, reasoningTokens, firstDeltaTs, lastDeltaTs, null, null);
    }

    /** A session of a layout without output delta times: no TPOT. */
    Session(long beginTs, long outputTokens, long reasoningTokens, long firstDeltaTs, long lastDeltaTs,
            String model, String tenant) {
        this(beginTs, outputTokens, reasoningTokens, firstDeltaTs, lastDeltaTs, UNTRACKED, UNTRACKED, model, tenant);
    }

    Session(long beginTs, long outputTokens, long reasoningTokens, long firstDeltaTs, long lastDeltaTs,
            long firstOutputTs, long lastOutputTs, String model, String tenant) {
        this.firstOutputTs = firstOutputTs;
        this.lastOutputTs = lastOutputTs;
        this.beginTs = beginTs;
        this.model = model;
        this.tenant = tenant;
        this.outputTokens = outputTokens;
        this.reasoningTokens = reasoningTokens;
        this.firstDeltaTs = firstDeltaTs;
        this.lastDeltaTs = lastDeltaTs;
    }

    /** A session begun at {@code beginTs} (event time), received at {@code seenMs} (meter time), waiting for its first delta. */
    public static Session begun(long beginTs, long seenMs) {
        return begun(beginTs, seenMs, null, null);
    }

    /** A session of the given model and tenant (either may be null), waiting for its first delta. */
    public static Session begun(long beginTs, long seenMs, String model, String tenant) {
        Session s = new Session(beginTs, 0, 0, NO_DELTA, NO_DELTA, NO_DELTA, NO_DELTA, model, tenant);
        s.lastSeenMs = seenMs;
        return s;
    }

    /** Marks the session as seen by the meter at {@code seenMs}: a restored session counts as seen at restore. */
    public void seenAt(long seenMs) {
        lastSeenMs = seenMs;
    }

    /**
     * Applies a delta, as the seed's {@code record_token}/{@code record_reasoning} do, unless it is out of
     * order: its running count below this session's count of that kind, or its time before the last delta.
     *
     * @param ts     the delta's event time (for the rate)
     * @param seenMs when the meter received it (for liveness)
     * @return false when the delta was out of order and left the session unchanged
     */
    public boolean applyDelta(EventType kind, long running, long ts, long seenMs) {
        long current = kind == EventType.OUTPUT ? outputTokens : reasoningTokens;
        if (running < current || (hasDelta() && ts < lastDeltaTs)) {
            return false;
        }
        if (!hasDelta()) {
            firstDeltaTs = ts;
        }
        lastDeltaTs = ts;
        lastSeenMs = seenMs;
        if (kind == EventType.OUTPUT) {
            outputTokens = running;
            if (firstOutputTs == NO_DELTA) {
                firstOutputTs = ts;
            }
            if (firstOutputTs != UNTRACKED) {
                lastOutputTs = ts;
            }
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
        return totalTokens() / (lastDeltaTs / 1000.0 - firstDeltaTs / 1000.0);
    }

    /**
     * The seed's {@code total_tokens()} as a double: Python's integers do not overflow, so past 2^63 the sum is
     * read as the unsigned 64-bit value it is (both counts are at most 2^63 - 1), rounded once to the nearest
     * double, as Python's int-to-float conversion does.
     */
    double totalTokens() {
        long sum = outputTokens + reasoningTokens;
        if (sum >= 0) {
            return sum;
        }
        return (double) ((sum >>> 1) | (sum & 1)) * 2.0; // unsigned; the kept low bit makes the rounding exact
    }

    /**
     * The seed's stale rule on the meter's clock: a session with deltas last seen more than {@code staleMs}
     * before {@code now}.
     */
    public boolean isStale(long now, long staleMs) {
        return hasDelta() && now - lastSeenMs > staleMs;
    }

    /**
     * Deviation from the seed: a session that never got a delta expires {@code expiryMs} after the meter received
     * its begin (or restored it), so a producer that dies between begin and first token does not inflate
     * {@code active} for good.
     */
    public boolean isBeginExpired(long now, long expiryMs) {
        return !hasDelta() && now - lastSeenMs > expiryMs;
    }

    /**
     * The tick at which a session received at {@code seenMs} and never fed expires ({@link #isBeginExpired}): the
     * first whole second more than {@code expiryMs} after {@code seenMs} ({@code Long.MAX_VALUE} past the end of time).
     */
    public static long beginExpiryTick(long seenMs, long expiryMs) {
        long interval = Ticks.INTERVAL.toMillis();
        if (seenMs > Long.MAX_VALUE - interval - expiryMs) {
            return Long.MAX_VALUE;
        }
        return Ticks.tickOf(seenMs + expiryMs) + interval;
    }

    public long beginTs() {
        return beginTs;
    }

    public String model() {
        return model;
    }

    public String tenant() {
        return tenant;
    }

    /** Time to first delta (first delta's ts minus the begin's, event time); meaningless unless {@link #hasDelta()}. */
    public long ttftMs() {
        return firstDeltaTs - beginTs;
    }

    /**
     * Time per output token: the decode time (the last output delta's event time minus the first's) over
     * {@code tokens - 1}, as SGLang's TPOT; NaN when it has no meaning: fewer than 2 tokens, fewer than two output
     * deltas at distinct times, or a session restored from a layout that did not keep its output delta times.
     *
     * @param tokens the stream's output tokens (an end's final count, else the session's running count)
     */
    public double tpotMs(long tokens) {
        if (tokens < 2 || firstOutputTs == NO_DELTA || firstOutputTs == UNTRACKED || lastOutputTs <= firstOutputTs) {
            return Double.NaN;
        }
        return (double) (lastOutputTs - firstOutputTs) / (tokens - 1);
    }

    /** Epoch ms of the first output delta ({@link #NO_DELTA} before one, {@link #UNTRACKED} when not kept). */
    long firstOutputTs() {
        return firstOutputTs;
    }

    long lastOutputTs() {
        return lastOutputTs;
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

    /** The meter's wall-clock time when it last received this session's begin or an applied delta, or restored it. */
    public long lastSeenMs() {
        return lastSeenMs;
    }

    @Override
    public String toString() {
        return "Session[begin=" + beginTs + (model != null ? ", model=" + model : "") + (tenant != null ? ", tenant=" + tenant : "") + ", output=" + outputTokens + ", reasoning=" + reasoningTokens
                + (hasDelta() ? ", first=" + firstDeltaTs + ", last=" + lastDeltaTs : ", no delta") + "]";
    }
}
