package dev.llmmeter.topology.processors;

import dev.llmmeter.contract.DeadLetterReason;
import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.EventType;
import dev.llmmeter.contract.InvalidDeltaException;
import dev.llmmeter.contract.StreamStatus;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.MeteringTopology;
import dev.llmmeter.topology.PythonRound;
import dev.llmmeter.topology.StoreNames;
import dev.llmmeter.topology.Ticks;
import dev.llmmeter.topology.errors.DeadLetterCounts;
import dev.llmmeter.topology.insights.GroupTally;
import dev.llmmeter.topology.insights.TaskInsights;
import dev.llmmeter.topology.state.Partial;
import dev.llmmeter.topology.state.Session;
import dev.llmmeter.topology.state.SessionsStore;
import dev.llmmeter.topology.usage.UsageItem;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Percentile;
import org.apache.kafka.common.metrics.stats.Percentiles;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.function.ToLongFunction;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keeps the sessions of one task's streams and, at every whole second, reports a {@link Partial} of
 * them to the combiner (with the task's insights tallies, {@link TaskInsights}), and publishes each stream's
 * {@link StreamStatus}: at the ticks of the seconds in which it received a delta, once more when it ends, goes
 * stale or expires, and a tombstone {@code metering.streams.retention.ms} after that ({@link #expireEndings}).
 * It forwards {@link MeterOutput}s: a {@link MeterOutput.TaskPartial} (key: task id),
 * {@link MeterOutput.StreamRecord}s (key: stream id; {@link MeterOutput.StreamRecord#TOMBSTONE} for a delete) and,
 * once per stream when it ends or leaves without an end, its {@link MeterOutput.Bill} (key: its tenant and model),
 * which the topology routes by type to the combiner, to the streams topic and to the usage ledger; at a tick the
 * partial is forwarded first, then the streams' records.
 *
 * <p>The {@code sessions} store is the durable truth (changelogged); {@link #live} mirrors it in memory,
 * rebuilt from the store in {@link #init} (which Kafka Streams calls after restoring the store). Insertion order is
 * kept like the seed's dict (a tick's per-stream records go out in it, and the cap evicts the longest live first);
 * each session is stored with its begin's number and its place in that order ({@link SessionsStore.Entry}), so that a
 * restore, which reads the store in key order, rebuilds both orders ({@link #restore}). The store is written behind
 * ({@code SessionsStore}): a put marks a session changed, and the changes are written just before each commit.
 *
 * <p>A tick costs nothing per idle session: the rates are kept summed as sessions come, change and go
 * ({@link TaskInsights#join}, exactly: {@link dev.llmmeter.topology.ExactSum}), the stale and expired sessions are
 * at the heads of two lists in the order of receipt ({@link #fed}, {@link #waiting}), and the sessions fed since the
 * last tick are listed as they are fed ({@link #touched}).
 *
 * <p>Each live session is a {@link Live}, made once per session: the store's {@link SessionsStore.Entry} (the
 * {@link Session}, the seed's state, and its numbers), extended with this processor's own bookkeeping.
 */
public final class SessionMeter implements Processor<String, DeltaEvent, String, MeterOutput> {
    private static final Logger LOG = LoggerFactory.getLogger(SessionMeter.class);

    private final MeteringConfig config;
    private final int sessionTasks;
    private Map<String, Live> live = new LinkedHashMap<>();
    /**
     * The live sessions still waiting for their first delta, in the order the meter received their begins (oldest
     * first): the ones due to expire are at its head, and at the cap they are evicted first.
     */
    private final Arrivals waiting = new Arrivals();
    /** The live sessions with deltas, in the order the meter last received one (oldest first): the stale ones are at its head. */
    private final Arrivals fed = new Arrivals();
    /** The sessions a delta was applied to since the last tick, each once (their per-stream records are due). */
    private final List<Live> touched = new ArrayList<>();
    /** What the tick being run has to do: the stale and expired sessions and the touched ones, in the live order. */
    private final List<Live> due = new ArrayList<>();
    private long[] dueKeys = new long[0];
    /** How many sessions the last tick visited (its due ones): what its cost grows with. */
    private int lastTickVisited;
    /**
     * The meter's clock as this task reads it: never earlier than a reading before it (a wall clock stepped back
     * counts as not moving), so that both {@link Arrivals} stay ordered by the receipt times they judge by.
     */
    private long clock = Long.MIN_VALUE;
    /**
     * Streams whose final record went out and whose tombstone is still to come: stream id -> the tick of its final
     * record, oldest first (the {@code stream-endings} store is the durable truth). Bounded like the sessions.
     */
    private final Map<String, Long> endings = new LinkedHashMap<>();
    /** The number of the task's next begin ({@link SessionsStore.Entry#seq}); after a restore, past every restored one. */
    private long nextSeq;
    private ProcessorContext<String, MeterOutput> context;
    /** The per-stream records of the tick being run, forwarded after its partial. */
    private final List<Record<String, MeterOutput>> tickRecords = new ArrayList<>();
    private KeyValueStore<String, SessionsStore.Entry> store;
    private KeyValueStore<String, Long> endingsStore;
    private TaskInsights insights;
    private Cancellable ticker;
    private String taskId;
    private MeterSensors sensors;
    private boolean commitEachTick;
    private boolean misroutedLogged;

    /** A session meter that does not know how many session tasks there are (replay, tests): no misrouting check. */
    public SessionMeter(MeteringConfig config) {
        this(config, 0);
    }

    /**
     * @param sessionTasks how many session tasks there are (the input topic's partition count, a fact of the
     *                     cluster the process bootstrap reads), or 0 when unknown
     */
    public SessionMeter(MeteringConfig config, int sessionTasks) {
        if (sessionTasks < 0) {
            throw new IllegalArgumentException("sessionTasks must not be negative, got " + sessionTasks);
        }
        this.sessionTasks = sessionTasks;
        this.config = config;
    }

    @Override
    public void init(ProcessorContext<String, MeterOutput> context) {
        this.context = context;
        this.store = context.getStateStore(StoreNames.SESSIONS);
        this.endingsStore = context.getStateStore(StoreNames.STREAM_ENDINGS);
        this.insights = new TaskInsights(config.insightsMaxLabelsPerTask(), config.sloObjectives());
        this.taskId = context.taskId().toString();
        this.sensors = MeterSensors.register(context.metrics(), taskId);
        DeadLetterCounts.register(context.taskId(), sensors.deadLetters);
        this.commitEachTick = MeteringTopology.exactlyOnce(context.appConfigs());
        long now = clock(context.currentSystemTimeMs());
        restore(now);
        for (long n = insights.takeOverflowed(); n > 0; n--) {
            sensors.overflowedSessions.record(); // restored beyond the task's label bound (in the live order)
        }
        endings.clear();
        List<Map.Entry<String, Long>> ended = new ArrayList<>();
        try (KeyValueIterator<String, Long> it = endingsStore.all()) {
            it.forEachRemaining(kv -> ended.add(Map.entry(kv.key, kv.value)));
        }
        ended.sort(Map.Entry.comparingByValue(Comparator.naturalOrder()));
        ended.forEach(e -> endings.put(e.getKey(), e.getValue()));
        ticker = context.schedule(Ticks.nextAnchor(now, 0), Ticks.INTERVAL, PunctuationType.WALL_CLOCK_TIME, this::tick);
    }

    /**
     * Rebuilds the live sessions from the store, which reads them in key order: {@link #live} in the order of their
     * places (the seed's dict order), {@link #waiting} in the order of their begins, and {@link #fed} (all restored
     * sessions count as received now), with their rates added to the insights' sums. Sessions stored before they were numbered (by an older version)
     * go first, in the order of their begin times, and are numbered and written again now.
     */
    private void restore(long now) {
        waiting.clear();
        fed.clear();
        touched.clear();
        List<KeyValue<String, SessionsStore.Entry>> stored = new ArrayList<>();
        try (KeyValueIterator<String, SessionsStore.Entry> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, SessionsStore.Entry> kv = it.next();
                kv.value.session().seenAt(now); // restored: seen now, so a backlog's newer deltas find it alive
                stored.add(kv);
            }
        }
        numberUnnumbered(stored);
        byPlace(stored);
        live = new LinkedHashMap<>(capacityFor(stored.size())); // sized once: no rehashing of a million sessions
        nextSeq = 0;
        List<Live> restored = new ArrayList<>();
        for (KeyValue<String, SessionsStore.Entry> kv : stored) {
            Live l = new Live(kv.key, kv.value.session(), kv.value.seq(), kv.value.place(), insights);
            live.put(l.id, l);
            l.counted = l.session().tps();
            insights.join(l.modelTally, l.tenantTally, l.counted);
            if (l.session().hasDelta()) {
                fed.append(l); // all seen now: any order is the order of receipt
            } else {
                restored.add(l);
            }
            nextSeq = Math.max(nextSeq, l.seq() + 1);
        }
        restored.sort(Comparator.comparingLong(Live::seq));
        for (Live l : restored) {
            waiting.append(l);
        }
    }

    /** A {@code HashMap} capacity that holds {@code n} entries without resizing (at the default load factor). */
    private static int capacityFor(int n) {
        return (int) Math.min(1L << 30, (long) Math.ceil(n / 0.75));
    }

    /**
     * Sorts restored sessions by place ({@link #sortByPlace}); they come in key order, so their places are random.
     */
    private static void byPlace(List<KeyValue<String, SessionsStore.Entry>> stored) {
        int n = stored.size();
        long[] places = new long[n];
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            places[i] = stored.get(i).value.place();
            min = Math.min(min, places[i]);
            max = Math.max(max, places[i]);
        }
        sortByPlace(stored, places, min, max, kv -> kv.value.place());
    }

    /**
     * Sorts {@code items} by place, {@code places[i]} being the place of {@code items.get(i)} (overwritten), all
     * within {@code [min, max]}. When the span leaves room for an index beside it, each is sorted as one long, its
     * place above its index (a primitive sort: a fraction of comparing the items); a wider span falls back to a
     * comparator on {@code place}.
     */
    private static <T> void sortByPlace(List<T> items, long[] places, long min, long max, ToLongFunction<T> place) {
        int n = items.size();
        if (n < 2) {
            return;
        }
        int indexBits = 64 - Long.numberOfLeadingZeros(n);
        long span = max - min;
        if (span < 0 || span >= 1L << (63 - indexBits)) {
            items.sort(Comparator.comparingLong(place));
            return;
        }
        for (int i = 0; i < n; i++) {
            places[i] = (places[i] - min) << indexBits | i;
        }
        Arrays.sort(places, 0, n);
        Object[] byIndex = items.toArray();
        long mask = (1L << indexBits) - 1;
        for (int i = 0; i < n; i++) {
            @SuppressWarnings("unchecked")
            T item = (T) byIndex[(int) (places[i] & mask)];
            items.set(i, item);
        }
    }

    /** The meter's clock at a reading of the wall clock: that reading, unless an earlier reading was later ({@link #clock}). */
    private long clock(long wallClockMs) {
        if (wallClockMs > clock) {
            clock = wallClockMs;
        }
        return clock;
    }

    /** Numbers the sessions stored without numbers before all others, by begin time (then id), and stores them so. */
    private void numberUnnumbered(List<KeyValue<String, SessionsStore.Entry>> stored) {
        List<KeyValue<String, SessionsStore.Entry>> unnumbered = new ArrayList<>();
        long first = 0;
        for (KeyValue<String, SessionsStore.Entry> kv : stored) {
            if (kv.value.isNumbered()) {
                first = Math.min(first, kv.value.place());
            } else {
                unnumbered.add(kv);
            }
        }
        if (unnumbered.isEmpty()) {
            return;
        }
        stored.removeIf(kv -> !kv.value.isNumbered());
        unnumbered.sort(Comparator.comparingLong((KeyValue<String, SessionsStore.Entry> kv) -> kv.value.session().beginTs())
                .thenComparing(kv -> kv.key));
        long seq = first - unnumbered.size();
        for (KeyValue<String, SessionsStore.Entry> kv : unnumbered) {
            SessionsStore.Entry numbered = new SessionsStore.Entry(kv.value.session(), seq, seq);
            seq++;
            store.put(kv.key, numbered);
            stored.add(KeyValue.pair(kv.key, numbered));
        }
    }

    @Override
    public void process(Record<String, DeltaEvent> record) {
        DeltaEvent event = record.value();
        requireKeyIsStreamId(record.key(), event);
        long time = event.eventTime(record.timestamp());
        long now = clock(context.currentSystemTimeMs());
        requireNotFromTheFuture(event, time, now);
        String id = event.streamId();
        switch (event.type()) {
            case BEGIN -> begin(id, event, time, now);
            case END -> end(id, event, time, now);
            case OUTPUT, REASONING -> delta(id, event, time, now);
        }
    }

    /** One stream's events must stay in one partition, so the key must be the stream id. */
    static void requireKeyIsStreamId(String key, DeltaEvent event) {
        if (key == null) {
            throw new InvalidDeltaException(DeadLetterReason.MISSING_KEY,
                    "record has no key; it must be the stream id \"" + event.streamId() + "\"");
        }
        if (!key.equals(event.streamId())) {
            throw new InvalidDeltaException(DeadLetterReason.KEY_MISMATCH,
                    "record key \"" + key + "\" differs from stream_id \"" + event.streamId() + "\"");
        }
    }

    /**
     * An event dated further ahead of the meter's clock than {@code metering.max.future.ms} comes from a producer
     * whose clock is wrong: applied, it would pin its session (never stale, every later delta out of order) and
     * survive restarts in the changelog. It is dead-lettered before it touches any state.
     */
    private void requireNotFromTheFuture(DeltaEvent event, long time, long now) {
        if (time - now > config.maxFutureMs()) {
            throw new InvalidDeltaException(DeadLetterReason.FUTURE_TS, (event.hasTs() ? "ts " : "record timestamp (no ts) ")
                    + time + " (" + Instant.ofEpochMilli(time) + ") is " + (time - now) + " ms ahead of the meter's clock ("
                    + Instant.ofEpochMilli(now) + "); at most " + config.maxFutureMs() + " ms ahead is accepted ("
                    + MeteringConfig.MAX_FUTURE_MS + ")");
        }
    }

    /**
     * begin replaces any session of that id (keeping its place in the order, like the seed's dict), unless it is
     * not after that session's own begin: then it is a redelivery or a producer's retry, ignored and counted, so
     * that a duplicate cannot reset a running stream.
     */
    private void begin(String id, DeltaEvent event, long time, long now) {
        Live current = live.get(id);
        if (current != null && time <= current.session().beginTs()) {
            sensors.duplicateBegin.record();
            return;
        }
        checkPartition(id);
        if (current == null && live.size() >= config.maxSessionsPerTask()) {
            evictOne(now);
        }
        if (current != null) {
            drop(current); // replaced: it leaves the sums and the order of receipt, without an end
        }
        long seq = nextSeq++;
        long place = current != null ? current.place() : seq; // a live id keeps its place, as in the seed's dict
        Live l = new Live(id, Session.begun(time, now, event.model(), event.tenant()), seq, place, insights);
        insights.onBegin(l.modelTally, l.tenantTally);
        insights.join(l.modelTally, l.tenantTally, Double.NaN);
        for (long n = insights.takeOverflowed(); n > 0; n--) {
            sensors.overflowedSessions.record();
        }
        if (!endings.isEmpty() && endings.remove(id) != null) {
            endingsStore.put(id, null); // the stream id is live again: its old final record must not be deleted
        }
        live.put(id, l);
        waiting.append(l);
        store.put(id, l);
    }

    /**
     * At the cap, a begin makes room: the oldest session still waiting for its first delta goes first (a
     * producer that floods begins hurts itself, not the streams with output), else the oldest session.
     */
    private void evictOne(long now) {
        Live l = waiting.isEmpty() ? live.values().iterator().next() : waiting.oldest();
        String victim = l.id;
        Session s = l.session();
        live.remove(victim);
        drop(l);
        forget(victim);
        sensors.evicted.record();
        double tpot = left(l, s, s.outputTokens());
        publishFinal(victim, s, StreamStatus.State.EXPIRED, tickCovering(now), false, tpot, null);
        emit(billMetered(victim, s), false);
    }

    private void end(String id, DeltaEvent event, long time, long now) {
        Live l = live.remove(id);
        if (l != null) {
            Session s = l.session();
            drop(l);
            forget(id);
            insights.onEnd(l.modelTally, l.tenantTally);
            double tpot = left(l, s, event.finalOutputTokens());
            publishFinal(id, s, StreamStatus.State.ENDED, tickCovering(now), false, tpot, event.inputTokens());
            emit(bill(new UsageItem(id, s.tenant(), s.model(), time, event.inputTokens(), event.finalOutputTokens(),
                    given(event.reasoningTokens()), given(event.cachedInputTokens()), false)), false);
        } else {
            checkPartition(id);
        }
    }

    /** Deltas for unknown streams are ignored, as in the seed; out-of-order ones are ignored and counted. */
    private void delta(String id, DeltaEvent event, long time, long now) {
        Live l = live.get(id);
        if (l == null) {
            sensors.unknownStream.record();
            checkPartition(id);
            return;
        }
        Session s = l.session();
        boolean first = !s.hasDelta();
        long before = event.type() == EventType.OUTPUT ? s.outputTokens() : s.reasoningTokens();
        long previous = s.lastDeltaTs();
        if (!s.applyDelta(event.type(), event.running(), time, now)) {
            sensors.outOfOrder.record();
            return;
        }
        if (first) {
            waiting.remove(l);
            fed.append(l);
        } else {
            fed.toNewest(l); // received now
        }
        if (!l.touched) {
            l.touched = true;
            touched.add(l);
        }
        // A delta that repeats the session's last one (same time, same running count: a redelivery after a crash
        // under at-least-once) changes no figure of the seed's; it must not add a 0 ms gap to the insights either.
        boolean repeat = !first && time == previous && event.running() == before;
        if (!repeat) {
            insights.onDelta(l.modelTally, l.tenantTally, event.running() - before, first, first ? s.ttftMs() : time - previous);
        }
        store.put(l.id, l); // the live map's key object: the store's check that it is already pending is then an identity
    }

    /**
     * A stream leaves (its end, or stale, expired, evicted) with {@code tokens} output tokens: its time per output
     * token and its service level judgement go to the insights. A TTFT before its begin (a producer's clock stepped
     * back) counts as 0, as the sketches clamp it.
     *
     * @return its time per output token (NaN when none)
     */
    private double left(Live l, Session s, long tokens) {
        double tpot = s.tpotMs(tokens);
        insights.onLeft(l.modelTally, l.tenantTally, s.model(), s.hasDelta() ? Math.max(0, s.ttftMs()) : -1, tpot, tokens);
        return tpot;
    }

    /** The tick whose second covers meter time {@code now}: the first whole second at or after it. */
    private static long tickCovering(long now) {
        return Ticks.tickOf(now - 1) + Ticks.INTERVAL.toMillis();
    }

    /**
     * A record whose key the Java client's default partitioner (murmur2) would not put in the partition it came
     * from: a producer hashing keys another way (librdkafka's default, crc32) splits a stream across tasks. It is
     * processed all the same, counted, and logged once per task. Checked where it matters and is cheap: on begins,
     * and on events for streams this task does not know (where a split stream shows up), never on the delta path.
     */
    private void checkPartition(String id) {
        int partitions = sessionTasks;
        if (partitions <= 0) {
            return; // not known (replay, tests)
        }
        context.recordMetadata().ifPresent(m -> {
            int expected = Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % partitions;
            if (expected != m.partition()) {
                sensors.misrouted.record();
                if (!misroutedLogged) {
                    misroutedLogged = true;
                    LOG.warn("stream \"{}\" came in on {}-{} but its key belongs to partition {} of {} (murmur2, the Java "
                                    + "client's default): a producer partitions keys differently, so a stream's events can split "
                                    + "across tasks. Set partitioner=murmur2_random on librdkafka-based producers. Counted in "
                                    + "{}; logged once per task.", id, m.topic(), m.partition(), expected, partitions,
                            MeteringMetrics.MISROUTED_RECORDS);
                }
            }
        });
    }

    /**
     * At each whole second: drop stale and expired sessions, publish the records of the sessions that had deltas,
     * then report this task's partial. Its cost grows with those sessions only, never with the idle ones: the sums are
     * kept as sessions change ({@link TaskInsights#join}), and the sessions due are found at the heads of
     * {@link #fed} and {@link #waiting} and in {@link #touched}.
     */
    void tick(long wallClockMs) {
        long started = System.nanoTime();
        long tick = Ticks.tickFiredAt(wallClockMs);
        for (Live l : dueAt(tick)) {
            if (enforceTtl(l, tick)) {
                continue;
            }
            Session s = l.session();
            l.touched = false;
            double tps = s.tps();
            insights.rate(l.modelTally, l.tenantTally, l.counted, tps);
            l.counted = tps;
            publish(l.id, s, StreamStatus.State.ACTIVE, tick, tps, true, Double.NaN, null);
        }
        lastTickVisited = due.size();
        due.clear();
        expireEndings(tick);
        context.forward(new Record<>(taskId, new MeterOutput.TaskPartial(new Partial(tick, insights.rateSum(),
                insights.rateCount(), live.size(), !fed.isEmpty(), insights.drain())), tick));
        for (Record<String, MeterOutput> r : tickRecords) {
            context.forward(r);
        }
        tickRecords.clear();
        if (commitEachTick) {
            context.commit(); // exactly-once: the combiner reads committed partials only; let it have this one now
        }
        sensors.tick.record((System.nanoTime() - started) / 1e6);
    }

    /** How many sessions the last tick visited: the stale, the expired and the fed since the tick before, never the idle. */
    int lastTickVisited() {
        return lastTickVisited;
    }

    /**
     * The sessions the tick at {@code tick} has to do something for, each once, in the live order (that of
     * {@link #live}: their places), the order their records have always gone out in: the stale ones (a prefix of
     * {@link #fed}, which is in the order of receipt), the expired ones (a prefix of {@link #waiting}) and the
     * touched ones still live.
     */
    private List<Live> dueAt(long tick) {
        for (Live l = fed.oldest(); l != null && l.session().isStale(tick, config.staleMs()); l = l.newer) {
            addDue(l);
        }
        for (Live l = waiting.oldest(); l != null && l.session().isBeginExpired(tick, config.beginExpiryMs()); l = l.newer) {
            addDue(l);
        }
        for (Live l : touched) {
            if (l.queue != null) { // still live (not ended, replaced or evicted since its delta)
                addDue(l);
            }
        }
        touched.clear();
        inLiveOrder();
        return due;
    }

    /**
     * Lists a session as due, noting its place beside it (in {@link #dueKeys}), so that ordering the due ones reads
     * each session once, here, and then only the places: with 100,000 busy streams a pass over their sessions is a
     * cache miss each.
     */
    private void addDue(Live l) {
        int i = due.size();
        if (dueKeys.length == i) {
            dueKeys = Arrays.copyOf(dueKeys, Math.max(16, 2 * i));
        }
        dueKeys[i] = l.place();
        due.add(l);
    }

    /**
     * Sorts the due sessions by place, dropping repeats (a touched session can also be stale). Places are unique
     * among live sessions and span far less than 2^40 in practice, so each is sorted as one long, its place above its
     * index; already sorted input (sessions touched in their live order) is only checked. Reads the places noted in
     * {@link #dueKeys}, never the sessions.
     */
    private void inLiveOrder() {
        List<Live> ls = due;
        int n = ls.size();
        boolean sorted = true;
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            long p = dueKeys[i];
            sorted &= i == 0 || p > dueKeys[i - 1];
            min = Math.min(min, p);
            max = Math.max(max, p);
        }
        if (sorted) {
            return;
        }
        sortByPlace(ls, dueKeys, min, max, Live::place);
        int kept = 0;
        for (int i = 0; i < n; i++) {
            Live l = ls.get(i);
            if (kept == 0 || ls.get(kept - 1) != l) {
                ls.set(kept++, l);
            }
        }
        ls.subList(kept, n).clear();
    }

    /**
     * Judged on the meter's clock (when each session was last received), never on the producers' clocks.
     *
     * @return true when the session is past its time (stale, or begun and never fed) and was deleted
     */
    private boolean enforceTtl(Live l, long tick) {
        Session s = l.session();
        String id = l.id;
        StreamStatus.State state;
        if (s.isStale(tick, config.staleMs())) {
            sensors.stale.record();
            state = StreamStatus.State.STALE;
        } else if (s.isBeginExpired(tick, config.beginExpiryMs())) {
            sensors.beginExpired.record();
            state = StreamStatus.State.EXPIRED;
        } else {
            return false;
        }
        live.remove(id);
        drop(l);
        forget(id);
        double tpot = left(l, s, s.outputTokens());
        publishFinal(id, s, state, tick, true, tpot, null);
        emit(billMetered(id, s), true);
        return true;
    }

    /** A live session leaves (ended, replaced, stale, expired, evicted): out of its order of receipt and the sums. */
    private void drop(Live l) {
        l.queue.remove(l);
        insights.leave(l.modelTally, l.tenantTally, l.counted);
    }

    /**
     * The bill of a stream that left without an end (stale, expired, evicted): the meter's own running counts, dated
     * by its last delta (its begin when it had none).
     */
    private Record<String, MeterOutput> billMetered(String id, Session s) {
        return bill(new UsageItem(id, s.tenant(), s.model(), s.hasDelta() ? s.lastDeltaTs() : s.beginTs(), 0,
                s.outputTokens(), s.reasoningTokens(), 0, true));
    }

    /**
     * A stream's bill for the usage ledger, keyed by its (tenant, model): one ledger task sums each pair. The ledger
     * reads the event time from the item; the Kafka timestamp is never ahead of the meter's clock, since a broker
     * refuses records dated more than {@code message.timestamp.after.max.ms} ahead (an hour by default) and
     * {@code metering.max.future.ms} may accept events further ahead than that.
     */
    private Record<String, MeterOutput> bill(UsageItem item) {
        return new Record<>(item.ledgerKey(), new MeterOutput.Bill(item), Math.min(item.eventTime(), context.currentSystemTimeMs()));
    }

    /** An optional provider figure the end did not give is billed as 0. */
    private static long given(long figure) {
        return figure == DeltaEvent.NOT_GIVEN ? 0 : figure;
    }

    /**
     * One stream's record on the streams topic, dated {@code ts} (a tick); a final one carries its time per output
     * token ({@code tpotMs}, NaN for none) and an end's input tokens (null when not ended).
     */
    private void publish(String id, Session s, StreamStatus.State state, long ts, double tps, boolean inTick,
                         double tpotMs, Long input) {
        boolean fed = s.hasDelta();
        StreamStatus status = new StreamStatus(id, s.model(), s.tenant(), state,
                Double.isNaN(tps) ? null : PythonRound.oneDecimal(tps), s.outputTokens(), s.reasoningTokens(),
                fed ? s.ttftMs() : null, fed ? s.lastDeltaTs() - s.firstDeltaTs() : null, s.beginTs(), ts,
                Double.isNaN(tpotMs) ? null : tpotMs, input);
        emit(new Record<>(id, new MeterOutput.StreamRecord(status), ts), inTick);
    }

    /** A per-stream record: at a tick, after the tick's partial; otherwise (an end, an eviction) at once. */
    private void emit(Record<String, MeterOutput> r, boolean inTick) {
        if (inTick) {
            tickRecords.add(r);
        } else {
            context.forward(r);
        }
    }

    /** A stream's final record, and its tombstone scheduled for {@code metering.streams.retention.ms} later. */
    private void publishFinal(String id, Session s, StreamStatus.State state, long ts, boolean inTick, double tpotMs,
                              Long input) {
        publish(id, s, state, ts, s.tps(), inTick, tpotMs, input);
        endings.remove(id);
        endings.put(id, ts);
        endingsStore.put(id, ts);
        if (endings.size() > config.maxSessionsPerTask()) {
            Iterator<String> oldest = endings.keySet().iterator(); // bounded: the oldest goes early
            String early = oldest.next();
            oldest.remove();
            tombstone(early, ts, inTick);
        }
    }

    /**
     * The tombstones due at {@code tick}: each ended stream whose final record is at least the retention old is
     * deleted from the compacted streams topic. Endings are kept oldest first, so this looks at due ones only.
     */
    private void expireEndings(long tick) {
        Iterator<Map.Entry<String, Long>> it = endings.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Long> e = it.next();
            if (e.getValue() > tick - config.streamsRetentionMs()) {
                break;
            }
            it.remove();
            tombstone(e.getKey(), tick, true);
        }
    }

    /** The delete of an ended stream's record (already taken out of {@link #endings}). */
    private void tombstone(String id, long ts, boolean inTick) {
        endingsStore.put(id, null);
        emit(new Record<>(id, MeterOutput.StreamRecord.TOMBSTONE, ts), inTick);
    }

    /**
     * Deletes a session from the store as {@code put(id, null)}, the key-value contract's delete without the old
     * value: {@code delete} must return it, which costs the store a RocksDB read for a session not written since the
     * last commit (every stale one, at a tick that may prune thousands), and the processor has it already.
     */
    private void forget(String id) {
        store.put(id, null);
    }

    @Override
    public void close() {
        if (ticker != null) {
            ticker.cancel();
        }
        if (sensors != null) {
            DeadLetterCounts.unregister(context.taskId(), sensors.deadLetters);
            sensors.remove(context.metrics());
        }
        live.clear();
        waiting.clear();
        fed.clear();
        touched.clear();
        due.clear();
        endings.clear();
        tickRecords.clear();
    }

    /**
     * A live session as this processor keeps it, made once per session (at its begin, or at a restore): the store's
     * entry it puts (the {@link Session} and its numbers), and what only this processor uses.
     */
    private static final class Live extends SessionsStore.Entry {
        /**
         * The stream id: that very String object, the one {@link #live} is keyed by and the store is put with, so that
         * the store's check that this entry is already pending under it compares no bytes.
         */
        final String id;
        /** The insights tallies of its model and tenant (null for none), asked for once: a delta costs no map lookup. */
        final GroupTally modelTally;
        final GroupTally tenantTally;
        /** Whether a delta was applied since the last tick (its per-stream record is due; it is then in the processor's list of touched sessions). */
        boolean touched;
        /** The rate it adds to the insights' sums (NaN: none), as of its last tick or its restore. */
        double counted = Double.NaN;
        /** The order of receipt it is in ({@link #waiting} or {@link #fed}), null once it left; its neighbours there. */
        Arrivals queue;
        Live older;
        Live newer;

        Live(String id, Session session, long seq, long place, TaskInsights insights) {
            super(session, seq, place);
            this.id = id;
            this.modelTally = insights.modelTally(session.model());
            this.tenantTally = insights.tenantTally(session.tenant());
        }
    }

    /**
     * Live sessions in the order the meter received them, oldest first: a doubly linked list through the sessions
     * themselves (no node, no map entry per session), so a delta moves its session to the end at the cost of a few
     * pointers. Ordered by receipt time because the meter's clock never goes back ({@link #clock}).
     */
    private static final class Arrivals {
        private Live oldest;
        private Live newest;

        Live oldest() {
            return oldest;
        }

        boolean isEmpty() {
            return oldest == null;
        }

        void append(Live l) {
            l.queue = this;
            l.older = newest;
            l.newer = null;
            if (newest == null) {
                oldest = l;
            } else {
                newest.newer = l;
            }
            newest = l;
        }

        /** A session of this list received again: now the newest. */
        void toNewest(Live l) {
            if (newest != l) {
                remove(l);
                append(l);
            }
        }

        void remove(Live l) {
            if (l.older == null) {
                oldest = l.newer;
            } else {
                l.older.newer = l.newer;
            }
            if (l.newer == null) {
                newest = l.older;
            } else {
                l.newer.older = l.older;
            }
            l.older = null;
            l.newer = null;
            l.queue = null;
        }

        void clear() {
            for (Live l = oldest; l != null; ) {
                Live next = l.newer;
                l.older = null;
                l.newer = null;
                l.queue = null;
                l = next;
            }
            oldest = null;
            newest = null;
        }
    }

    /** The task-level counters this processor keeps (group {@code stream-metering-metrics}). */
    static final class MeterSensors {
        final Sensor outOfOrder;
        final Sensor unknownStream;
        final Sensor stale;
        final Sensor beginExpired;
        final Sensor duplicateBegin;
        final Sensor evicted;
        final Sensor misrouted;
        final Sensor overflowedSessions;
        /** Dead letters of this task by reason, recorded by the exception handlers ({@link DeadLetterCounts}). */
        final Map<DeadLetterReason, Sensor> deadLetters;
        /** Tick duration in ms: avg, max, p50, p99 (once a second: costs nothing on the per-event path). */
        final Sensor tick;

        private MeterSensors(Sensor outOfOrder, Sensor unknownStream, Sensor stale, Sensor beginExpired,
                             Sensor duplicateBegin, Sensor evicted, Sensor misrouted, Sensor overflowedSessions,
                             Map<DeadLetterReason, Sensor> deadLetters, Sensor tick) {
            this.outOfOrder = outOfOrder;
            this.unknownStream = unknownStream;
            this.stale = stale;
            this.beginExpired = beginExpired;
            this.duplicateBegin = duplicateBegin;
            this.evicted = evicted;
            this.misrouted = misrouted;
            this.overflowedSessions = overflowedSessions;
            this.deadLetters = deadLetters;
            this.tick = tick;
        }

        static MeterSensors register(StreamsMetrics metrics, String taskId) {
            return new MeterSensors(
                    sensor(metrics, taskId, MeteringMetrics.OUT_OF_ORDER_DELTAS),
                    sensor(metrics, taskId, MeteringMetrics.UNKNOWN_STREAM_DELTAS),
                    sensor(metrics, taskId, MeteringMetrics.STALE_SESSIONS),
                    sensor(metrics, taskId, MeteringMetrics.EXPIRED_BEGINS),
                    sensor(metrics, taskId, MeteringMetrics.DUPLICATE_BEGINS),
                    sensor(metrics, taskId, MeteringMetrics.EVICTED_SESSIONS),
                    sensor(metrics, taskId, MeteringMetrics.MISROUTED_RECORDS),
                    sensor(metrics, taskId, MeteringMetrics.OVERFLOWED_SESSIONS),
                    deadLetterSensors(metrics, taskId),
                    tickSensor(metrics, taskId));
        }

        /** One per reason, all from the start: a counter that first shows up at 1 is an increase Prometheus cannot see. */
        private static Map<DeadLetterReason, Sensor> deadLetterSensors(StreamsMetrics metrics, String taskId) {
            Map<DeadLetterReason, Sensor> sensors = new EnumMap<>(DeadLetterReason.class);
            for (DeadLetterReason reason : DeadLetterReason.values()) {
                sensors.put(reason, MeteringMetrics.taggedRateTotalSensor(metrics, taskId, MeteringMetrics.DEAD_LETTERS,
                        MeteringMetrics.DEAD_LETTERS_DESCRIPTION, MeteringMetrics.REASON_TAG, reason.wireName()));
            }
            return sensors;
        }

        private static Sensor sensor(StreamsMetrics metrics, String taskId, String op) {
            return metrics.addRateTotalSensor(MeteringMetrics.SCOPE, taskId, op, Sensor.RecordingLevel.INFO);
        }

        /**
         * {@code tick-latency-avg/-max} and {@code tick-rate/-total} the Streams way, plus p50 and p99 from a
         * histogram whose bins widen linearly up to 1 s (about 0.05 ms wide at 1 ms, 0.14 ms at 5 ms).
         */
        private static Sensor tickSensor(StreamsMetrics metrics, String taskId) {
            Sensor s = metrics.addLatencyRateTotalSensor(MeteringMetrics.SCOPE, taskId, MeteringMetrics.TICK,
                    Sensor.RecordingLevel.INFO);
            Map<String, String> tags = null;
            for (MetricName n : metrics.metrics().keySet()) {
                if (n.group().equals(MeteringMetrics.GROUP) && n.name().equals(MeteringMetrics.TICK + "-latency-avg")
                        && taskId.equals(n.tags().get(MeteringMetrics.SCOPE + "-id"))) {
                    tags = n.tags();
                    break;
                }
            }
            if (tags != null) {
                s.add(new Percentiles(4 * 1000, 1000.0, Percentiles.BucketSizing.LINEAR,
                        new Percentile(new MetricName(MeteringMetrics.TICK_LATENCY_P50, MeteringMetrics.GROUP,
                                "The median tick duration in ms", tags), 50),
                        new Percentile(new MetricName(MeteringMetrics.TICK_LATENCY_P99, MeteringMetrics.GROUP,
                                "The 99th percentile of the tick duration in ms", tags), 99)));
            }
            return s;
        }

        void remove(StreamsMetrics metrics) {
            metrics.removeSensor(outOfOrder);
            metrics.removeSensor(unknownStream);
            metrics.removeSensor(stale);
            metrics.removeSensor(beginExpired);
            metrics.removeSensor(duplicateBegin);
            metrics.removeSensor(evicted);
            metrics.removeSensor(misrouted);
            metrics.removeSensor(overflowedSessions);
            deadLetters.values().forEach(metrics::removeSensor);
            metrics.removeSensor(tick);
        }
    }
}
