package dev.llmmeter.serve;

import dev.llmmeter.contract.Insight;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.StreamStatus;
import dev.llmmeter.contract.Topics;
import org.apache.kafka.common.errors.SerializationException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * What this server knows, in memory: the latest stats tick, the latest insights record of each group and
 * the latest record of each recent stream, as the contract's records ({@link Stats}, {@link Insight},
 * {@link StreamStatus}) read through the topics' serdes. Fed by {@link dev.llmmeter.serve.feed.LiveFeed} (or directly
 * by a test) with the topics' record values; read by the HTTP handlers and the metrics.
 *
 * <p>Thread-safe: one feeding thread, many readers.
 */
public final class MeteringView {
    /** Sizes and ages; {@link #defaults()} are what {@code serve} runs with. */
    public record Limits(int tickMemory, int followAfter, int maxStreams, Duration streamRetention,
                         int maxGroups, Duration insightRetention) {
        public static Limits defaults() {
            // Streams: the topic keeps a final record for an hour before its tombstone; so does the view, up to
            // 50,000 streams (~300 bytes each). Insights: a group's last record (its idle one, at zero) is shown
            // for two minutes of the topology's ticks. Ticks: five in a row behind a far-future one bring the
            // watermark back to the topology's line (see TickGate).
            return new Limits(600, 5, 50_000, Duration.ofHours(1), 10_000, Duration.ofSeconds(120));
        }
    }

    private final Limits limits;
    private final TickGate gate;
    private final List<Consumer<Stats>> tickListeners = new CopyOnWriteArrayList<>();
    private final List<StreamListener> streamListeners = new CopyOnWriteArrayList<>();

    private volatile Stats latest;
    private final Map<String, Insight> insights = new HashMap<>();
    /** The topology's clock as its latest insights record tells it: what groups age against (guarded by insights). */
    private long insightsNow = Long.MIN_VALUE;
    /** Insertion order = order of last update: the head is the stream updated longest ago. */
    private final LinkedHashMap<String, StreamStatus> streams = new LinkedHashMap<>();
    /** The topology's clock as its latest stream record tells it: what streams age against (guarded by streams). */
    private long streamsNow = Long.MIN_VALUE;

    private final AtomicLong repeatedTicks = new AtomicLong();
    private final AtomicLong behindTicks = new AtomicLong();
    private final AtomicLong invalidRecords = new AtomicLong();
    private final AtomicLong evictedStreams = new AtomicLong();

    public MeteringView() {
        this(Limits.defaults());
    }

    /** Everything here goes by the topology's records alone: this server's clock plays no part. */
    public MeteringView(Limits limits) {
        this.limits = limits;
        this.gate = new TickGate(limits.tickMemory(), limits.followAfter());
    }

    /** Called, on the feeding thread and in order, with each tick delivered. */
    public void onTick(Consumer<Stats> listener) {
        tickListeners.add(listener);
    }

    /** Told each stream record the view reads, and whether the feed read it as history (written before it started). */
    @FunctionalInterface
    public interface StreamListener {
        void accept(StreamStatus status, boolean history);
    }

    /** Called, on the feeding thread and in order, with each valid stream record. */
    public void onStream(StreamListener listener) {
        streamListeners.add(listener);
    }

    // ---- feeding ------------------------------------------------------------------------------------

    /**
     * A {@code metering.stats} value.
     *
     * @return true when delivered; false for a repeat, a tick behind the last one, or a value that is not stats
     */
    public boolean offerStats(byte[] value) {
        Stats s;
        try {
            s = Topics.STATS.deserializeValue(value);
        } catch (SerializationException e) {
            invalidRecords.incrementAndGet();
            return false;
        }
        return s != null && offerStats(s);
    }

    public boolean offerStats(Stats s) {
        TickGate.Verdict v;
        synchronized (gate) {
            v = gate.admit(s.ts());
        }
        switch (v) {
            case REPEAT -> repeatedTicks.incrementAndGet();
            case BEHIND -> behindTicks.incrementAndGet();
            case DELIVER -> {
                latest = s;
                for (Consumer<Stats> l : tickListeners) {
                    l.accept(s);
                }
            }
        }
        return v == TickGate.Verdict.DELIVER;
    }

    /** A {@code metering.insights} record; a null value (tombstone) forgets the group. */
    public void offerInsight(String key, byte[] value) {
        if (key == null) {
            invalidRecords.incrementAndGet();
            return;
        }
        if (value == null) {
            synchronized (insights) {
                insights.remove(key);
            }
            return;
        }
        Insight insight = decode(Topics.INSIGHTS::deserializeValue, value);
        if (insight == null) {
            return;
        }
        synchronized (insights) {
            if (insights.size() >= limits.maxGroups() && !insights.containsKey(key)) {
                expireInsights();
                if (insights.size() >= limits.maxGroups()) {
                    insights.entrySet().stream().min(Comparator.comparingLong(e -> e.getValue().ts()))
                            .ifPresent(oldest -> insights.remove(oldest.getKey()));
                }
            }
            insights.put(key, insight);
            insightsNow = insight.ts();
        }
    }

    /** A {@code metering.streams} record written after the feed started; a null value (tombstone) forgets the stream. */
    public void offerStream(String streamId, byte[] value) {
        offerStream(streamId, value, false);
    }

    /**
     * A {@code metering.streams} record; a null value (tombstone) forgets the stream.
     *
     * @param history true when the feed read it back from before it started (the view takes it all the same)
     */
    public void offerStream(String streamId, byte[] value, boolean history) {
        if (streamId == null) {
            invalidRecords.incrementAndGet();
            return;
        }
        synchronized (streams) {
            streams.remove(streamId);
            StreamStatus status = value == null ? null : decode(Topics.STREAMS::deserializeValue, value);
            if (status != null) {
                streams.put(streamId, status);
                streamsNow = status.ts();
            }
            expireStreams();
            if (status != null) {
                for (StreamListener l : streamListeners) {
                    l.accept(status, history);
                }
            }
        }
    }

    // ---- reading ------------------------------------------------------------------------------------

    public Optional<Stats> latestStats() {
        return Optional.ofNullable(latest);
    }

    public Optional<StreamStatus> stream(String streamId) {
        synchronized (streams) {
            expireStreams();
            return Optional.ofNullable(streams.get(streamId));
        }
    }

    public int streamCount() {
        synchronized (streams) {
            return streams.size();
        }
    }

    /** Every group's latest record, {@code global} first, then by key. */
    public List<Insight> insights() {
        List<Map.Entry<String, Insight>> out;
        synchronized (insights) {
            expireInsights();
            out = new ArrayList<>(insights.entrySet());
        }
        out.sort(Comparator.comparing((Map.Entry<String, Insight> e) -> !Topics.STATS_KEY.equals(e.getKey()))
                .thenComparing(Map.Entry::getKey));
        return out.stream().map(Map.Entry::getValue).toList();
    }

    public Optional<Insight> insight(String key) {
        synchronized (insights) {
            expireInsights();
            return Optional.ofNullable(insights.get(key));
        }
    }

    public long repeatedTicks() {
        return repeatedTicks.get();
    }

    public long behindTicks() {
        return behindTicks.get();
    }

    public long invalidRecords() {
        return invalidRecords.get();
    }

    public long evictedStreams() {
        return evictedStreams.get();
    }

    // ---- retention ----------------------------------------------------------------------------------

    /**
     * A stream is forgotten when its latest record is older than the retention, by the topology's latest stream
     * record (never by this server's clock, as for {@link #expireInsights}), or to stay within the cap.
     */
    private void expireStreams() {
        long cutoff = streamsNow == Long.MIN_VALUE ? Long.MIN_VALUE : streamsNow - limits.streamRetention().toMillis();
        Iterator<StreamStatus> it = streams.values().iterator();
        while (it.hasNext()) {
            StreamStatus head = it.next();
            if (streams.size() <= limits.maxStreams() && head.ts() >= cutoff) {
                break;
            }
            it.remove();
            evictedStreams.incrementAndGet();
        }
    }

    /**
     * A group whose latest record is older than the retention, by the topology's latest record, has gone idle:
     * the topology publishes a last, idle record for a group and then nothing more. Its age is measured on the
     * topology's clock only ({@code ts} against {@code ts}), never against this server's: a serve host whose
     * clock differs keeps what the topology publishes, and while the topology publishes nothing, nothing ages.
     * The latest record sets that clock, not the newest ever seen: a topology instance that moves to a host
     * whose clock is behind keeps its groups.
     */
    private void expireInsights() {
        if (insightsNow == Long.MIN_VALUE) {
            return;
        }
        long cutoff = insightsNow - limits.insightRetention().toMillis();
        insights.values().removeIf(e -> e.ts() < cutoff);
    }

    /** The record, or null (counted) when the value is not one. */
    private <T> T decode(java.util.function.Function<byte[], T> deserialize, byte[] value) {
        try {
            return deserialize.apply(value);
        } catch (SerializationException e) {
            invalidRecords.incrementAndGet();
            return null;
        }
    }
}
