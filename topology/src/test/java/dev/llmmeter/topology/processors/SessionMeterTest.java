package dev.llmmeter.topology.processors;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.StreamStatus;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.StoreNames;
import dev.llmmeter.topology.Ticks;
import dev.llmmeter.topology.state.Partial;
import dev.llmmeter.topology.insights.GroupPart;
import dev.llmmeter.topology.state.Session;
import dev.llmmeter.topology.state.SessionSerde;
import dev.llmmeter.topology.state.SessionsStore;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The session task's commits: under exactly-once its partial is committed right after each tick. */
class SessionMeterTest {
    private static final long T = 1_790_000_000_000L;

    @TempDir
    Path stateDir;

    private MockProcessorContext<String, MeterOutput> context;
    private SessionsStore store;
    private KeyValueStore<String, Long> endings;
    private SessionMeter meter;

    private void start(String guarantee) {
        start(guarantee, MeteringConfig.defaults());
    }

    private void start(String guarantee, MeteringConfig config) {
        start(guarantee, config, 0);
    }

    private void start(String guarantee, MeteringConfig config, int sessionTasks) {
        start(guarantee, config, sessionTasks, false);
    }

    /** @param durable the live app's store (RocksDB, every commit writes the changes), else the replay's (in memory) */
    private void start(String guarantee, MeteringConfig config, int sessionTasks, boolean durable) {
        context = newContext(guarantee, T);
        store = durable ? SessionsStore.builder(StoreNames.SESSIONS, true).withLoggingDisabled().build()
                : SessionsStore.builder(StoreNames.SESSIONS, false).build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        endings = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StoreNames.STREAM_ENDINGS), Serdes.String(), Serdes.Long())
                .withLoggingDisabled().build();
        endings.init(context.getStateStoreContext(), endings);
        context.addStateStore(endings);
        meter = new SessionMeter(config, sessionTasks);
        meter.init(context);
    }

    private MockProcessorContext<String, MeterOutput> newContext(String guarantee, long now) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "session-meter-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        MockProcessorContext<String, MeterOutput> c = new MockProcessorContext<>(props, new TaskId(0, 3), stateDir.toFile());
        c.setCurrentSystemTimeMs(now);
        return c;
    }

    /** The task starts again at {@code now} over the same store: what a restart or a moved task sees after the restore. */
    private void restartAt(long now) {
        restartAt(now, MeteringConfig.defaults());
    }

    private void restartAt(long now, MeteringConfig config) {
        meter.close();
        context = newContext(StreamsConfig.AT_LEAST_ONCE, now);
        context.addStateStore(store);
        context.addStateStore(endings);
        meter = new SessionMeter(config);
        meter.init(context);
    }

    private void deliver(DeltaEvent e) {
        meter.process(new Record<>(e.streamId(), e, e.ts()));
    }

    @AfterEach
    void close() {
        meter.close();
        store.close();
        endings.close();
    }

    /** The partials forwarded so far (the per-stream records left out), stats part only. */
    private List<Partial> partials() {
        return context.forwarded().stream().map(f -> f.record().value())
                .flatMap(v -> v instanceof MeterOutput.TaskPartial tp ? Stream.of(tp.partial().statsPart()) : Stream.empty())
                .toList();
    }

    /** Runs the tick of the whole second {@code tick}, at its fire time. */
    private void tick(long tick) {
        long firedAt = Ticks.fireTime(tick);
        context.setCurrentSystemTimeMs(firedAt);
        context.scheduledPunctuators().get(0).getPunctuator().punctuate(firedAt);
    }

    @Test
    void exactlyOnceAsksForACommitRightAfterEachTick() {
        start(StreamsConfig.EXACTLY_ONCE_V2);
        meter.process(new Record<>("s1", DeltaEvent.begin("s1", T), T));
        meter.process(new Record<>("s1", DeltaEvent.output("s1", T + 200, 5), T + 200));
        assertFalse(context.committed(), "events alone do not ask for a commit");

        tick(T + 1_000);
        assertTrue(context.committed(), "the partial is committed at once, for the read_committed combiner");
        assertEquals(List.of(new Partial(T + 1_000, 0.0, 0, 1, true)), partials());

        context.resetCommit();
        tick(T + 2_000);
        assertTrue(context.committed(), "and at every tick after");
    }

    @Test
    void atLeastOnceLeavesCommitsToTheCommitInterval() {
        start(StreamsConfig.AT_LEAST_ONCE);
        meter.process(new Record<>("s1", DeltaEvent.begin("s1", T), T));
        tick(T + 1_000);
        assertEquals(1, partials().size());
        assertFalse(context.committed());
    }

    @Test
    void aSessionRestoredAfterAnOutageCountsAsSeenAtRestoreAndTakesTheBacklog() {
        start(StreamsConfig.AT_LEAST_ONCE);
        deliver(DeltaEvent.begin("s1", T));
        deliver(DeltaEvent.output("s1", T + 1_000, 10));
        deliver(DeltaEvent.output("s1", T + 2_000, 20));
        restartAt(T + 90_000); // down for 88 s; the stream went on producing
        tick(T + 91_000);
        assertEquals(new Partial(T + 91_000, 20.0, 1, 1, true), partials().get(0));
        context.resetForwards();
        deliver(DeltaEvent.output("s1", T + 60_000, 600)); // the backlog, read after the restart
        deliver(DeltaEvent.output("s1", T + 89_000, 890));
        tick(T + 92_000);
        assertEquals(new Partial(T + 92_000, 890 / 88.0, 1, 1, true), partials().get(0));
    }

    /**
     * The processor writes each session under the String object it keeps it under (so the store's "already pending"
     * check is an identity), begun or restored; every delta's state is in the store after the next flush all the same,
     * whatever String the record's key arrived as.
     */
    @Test
    void everyDeltaIsInTheStoreAfterTheNextFlushBeforeAndAfterARestore() {
        start(StreamsConfig.AT_LEAST_ONCE, MeteringConfig.defaults(), 0, true);
        deliver(DeltaEvent.begin(new String("s1"), T));
        deliver(DeltaEvent.output(new String("s1"), T + 1_000, 10));
        store.flushCache();
        deliver(DeltaEvent.output(new String("s1"), T + 2_000, 20));
        deliver(DeltaEvent.reasoning(new String("s1"), T + 2_500, 5));
        store.flushCache();
        assertEquals(0, store.pending());
        assertEquals(20, store.get("s1").session().outputTokens());
        assertEquals(5, store.get("s1").session().reasoningTokens());
        restartAt(T + 3_000);
        deliver(DeltaEvent.output(new String("s1"), T + 3_000, 30));
        assertEquals(1, store.pending());
        store.flushCache();
        deliver(DeltaEvent.output(new String("s1"), T + 3_500, 35));
        store.flushCache();
        assertEquals(35, store.get("s1").session().outputTokens());
        assertEquals(T + 3_500, store.get("s1").session().lastDeltaTs());
    }

    @Test
    void aKeyTheJavaPartitionerPutsElsewhereIsCountedAndStillProcessed() {
        start(StreamsConfig.AT_LEAST_ONCE, MeteringConfig.defaults(), 4);
        int here = 2;
        String home = keyWhosePartitionIs(here, true, "stream-");
        String elsewhere = keyWhosePartitionIs(here, false, "stream-");
        context.setRecordMetadata("metering.deltas", here, 0);
        deliver(DeltaEvent.begin(home, T));
        deliver(DeltaEvent.output(home, T + 100, 1));
        assertEquals(0, misrouted());
        deliver(DeltaEvent.begin(elsewhere, T + 200)); // e.g. from a librdkafka producer (crc32 hashing)
        assertEquals(1, misrouted());
        deliver(DeltaEvent.output(elsewhere, T + 300, 1)); // a known stream's delta: not checked (the hot path)
        deliver(DeltaEvent.output(keyWhosePartitionIs(here, false, "split-"), T + 400, 1)); // half a split stream: unknown here
        deliver(DeltaEvent.end(keyWhosePartitionIs(here, false, "ended-"), T + 500, 0, 0));
        deliver(DeltaEvent.output(keyWhosePartitionIs(here, true, "gone-"), T + 600, 1)); // unknown, but at home
        assertEquals(3, misrouted());
        tick(T + 1_000);
        assertEquals(new Partial(T + 1_000, 0.0, 0, 2, true), partials().get(0));
    }

    /** The streams evicted (or expired) so far: the keys of the final records in state expired, in order. */
    private List<String> expired() {
        return context.forwarded().stream().map(f -> f.record().value())
                .flatMap(v -> v instanceof MeterOutput.StreamRecord r && r.status() != null ? Stream.of(r.status()) : Stream.empty())
                .filter(st -> st.state() == StreamStatus.State.EXPIRED)
                .map(StreamStatus::streamId).toList();
    }

    /**
     * The sessions are stored under their ids, and a store is read back in key order; the cap must still evict what
     * it would have without the restart: the waiting stream whose latest begin is the oldest (c was begun again after
     * b and a), and when none is waiting, the stream that has been live the longest.
     */
    @Test
    void afterARestoreTheCapEvictsTheOldestBegunStreamNotTheFirstId() {
        MeteringConfig capOf3 = MeteringConfig.fromMap(Map.of(MeteringConfig.MAX_SESSIONS_PER_TASK, "3"));
        start(StreamsConfig.AT_LEAST_ONCE, capOf3, 0, true);
        deliver(DeltaEvent.begin("c", T));
        deliver(DeltaEvent.begin("b", T + 1));
        deliver(DeltaEvent.begin("a", T + 2));
        deliver(DeltaEvent.begin("c", T + 3)); // a restart of c: c keeps its place in the live order
        store.flushCache();
        restartAt(T + 10, capOf3);
        deliver(DeltaEvent.begin("d", T + 11));
        assertEquals(List.of("b"), expired(), "b's is the oldest begin still waiting for a delta");

        deliver(DeltaEvent.output("c", T + 12, 1));
        deliver(DeltaEvent.output("a", T + 13, 1));
        deliver(DeltaEvent.output("d", T + 14, 1));
        store.flushCache();
        restartAt(T + 20, capOf3);
        deliver(DeltaEvent.begin("e", T + 21));
        assertEquals(List.of("c"), expired(), "none waits: c has been live the longest");
    }

    /**
     * A session's records are made at its begin and kept: its deltas update that session, in that store entry, across
     * commits; a new begin of the id makes new ones, in the old one's place.
     */
    @Test
    void aSessionsRecordsAreMadeAtItsBeginAndUpdatedInPlaceByItsDeltas() {
        start(StreamsConfig.AT_LEAST_ONCE, MeteringConfig.defaults(), 0, true);
        deliver(DeltaEvent.begin("s0", T));
        deliver(DeltaEvent.begin("s1", T));
        SessionsStore.Entry begun = store.get("s1");
        deliver(DeltaEvent.output("s1", T + 1_000, 10));
        store.flushCache();
        tick(T + 2_000);
        deliver(DeltaEvent.output("s1", T + 2_000, 20));
        deliver(DeltaEvent.reasoning("s1", T + 2_500, 5));
        assertSame(begun, store.get("s1"), "the entry put at the begin, pending again");
        assertEquals("Entry[seq=1, place=1, Session[begin=" + T + ", output=20, reasoning=5, first=" + (T + 1_000) + ", last="
                + (T + 2_500) + "]]", begun.toString());

        deliver(DeltaEvent.begin("s1", T + 3_000));
        SessionsStore.Entry again = store.get("s1");
        assertNotSame(begun, again);
        assertEquals("Entry[seq=2, place=1, Session[begin=" + (T + 3_000) + ", output=0, reasoning=0, no delta]]", again.toString());
    }

    /**
     * Sessions stored by a version that did not number them restore before every numbered one, in the order of their
     * begin times, and are stored numbered at the next commit.
     */
    @Test
    void sessionsStoredWithoutNumbersRestoreOldestBeginFirstAndAreStoredNumbered() {
        MeteringConfig capOf3 = MeteringConfig.fromMap(Map.of(MeteringConfig.MAX_SESSIONS_PER_TASK, "3"));
        start(StreamsConfig.AT_LEAST_ONCE, capOf3, 0, true);
        deliver(DeltaEvent.begin("a", T + 5)); // numbered: begun after the upgrade
        store.put("b", new SessionsStore.Entry(Session.begun(T + 2, T + 2))); // as the previous version stored them
        store.put("c", new SessionsStore.Entry(Session.begun(T + 1, T + 1)));
        store.flushCache();
        assertFalse(store.get("c").isNumbered());
        restartAt(T + 10, capOf3);
        assertEquals(2, store.pending(), "b and c are written again, numbered");
        store.flushCache();
        assertTrue(store.get("b").isNumbered());
        assertTrue(store.get("c").seq() < store.get("b").seq() && store.get("b").seq() < store.get("a").seq());

        deliver(DeltaEvent.begin("d", T + 11));
        deliver(DeltaEvent.begin("e", T + 12));
        assertEquals(List.of("c", "b"), expired());
    }

    /** A session stored by a version that kept no output delta times (the third layout) restores, and gives no TPOT. */
    @Test
    void aSessionRestoredFromTheThirdLayoutGivesNoTpotWhenItEnds() {
        start(StreamsConfig.AT_LEAST_ONCE, MeteringConfig.defaults(), 0, true);
        byte[] v3 = java.nio.ByteBuffer.allocate(41 + 1 + 1 + 4).put((byte) 3).putLong(T).putLong(5).putLong(0).putLong(T + 100)
                .putLong(T + 200).put((byte) 2).put((byte) 0).putShort((short) 0xFFFF).putShort((short) 0xFFFF).array();
        store.put("old", new SessionSerde().deserialize("", v3)); // as a restore reads the changelog
        store.flushCache();
        restartAt(T + 50);
        deliver(DeltaEvent.begin("new", T));
        deliver(DeltaEvent.output("new", T + 100, 1));
        deliver(DeltaEvent.output("new", T + 200, 5));
        store.flushCache();
        restartAt(T + 500);
        deliver(DeltaEvent.output("old", T + 300, 9));
        deliver(DeltaEvent.end("old", T + 400, 9, 0));
        tick(T + 1_000);
        GroupPart global = lastGlobalPart();
        assertEquals(1, global.ended());
        assertTrue(global.tpot().isEmpty(), "the old session gives none");
        deliver(DeltaEvent.end("new", T + 600, 5, 0));
        tick(T + 2_000);
        assertEquals(1, lastGlobalPart().tpot().count(), "a session stored in the fourth layout keeps its TPOT across the restore");
        assertEquals(25.0, lastGlobalPart().tpot().quantile(0.5), 0.005 * 25 + 0.05, "100 ms over 4 tokens");
    }

    private GroupPart lastGlobalPart() {
        List<GroupPart> parts = context.forwarded().stream().map(f -> f.record().value())
                .flatMap(v -> v instanceof MeterOutput.TaskPartial tp ? Stream.of(tp.partial().groups().get("global")) : Stream.empty())
                .toList();
        return parts.get(parts.size() - 1);
    }

    /**
     * 1, 2 and 3 tokens over 10 s: 0.1, 0.2 and 0.3. The seed adds them left to right in the order of the begins
     * (c, b, a) and gets 0.6000000000000001; the task keeps them summed exactly, as they come and go, and reports the
     * exact sum rounded once, 0.6, the same in any order and after a restore.
     */
    @Test
    void ratesAreSummedExactlyAndRoundedOnceInAnyOrderAndAfterARestore() {
        start(StreamsConfig.AT_LEAST_ONCE, MeteringConfig.defaults(), 0, true);
        String[] begun = {"c", "b", "a"};
        for (int i = 0; i < begun.length; i++) {
            deliver(DeltaEvent.begin(begun[i], T));
            deliver(DeltaEvent.output(begun[i], T + 1_000, 0));
            deliver(DeltaEvent.output(begun[i], T + 11_000, i + 1));
        }
        double seedsSum = 1 / 10.0 + 2 / 10.0 + 3 / 10.0;
        assertEquals(0.6000000000000001, seedsSum);
        tick(T + 12_000);
        assertEquals(0.6, partials().get(0).tpsSum());
        store.flushCache();
        restartAt(T + 12_500);
        tick(T + 13_000);
        assertEquals(0.6, partials().get(0).tpsSum());
    }

    /**
     * The sum follows the rates as they change and leave, exactly: a has 0.1, then 0.3 (3 tokens over 10 s); b 0.2
     * leaves (ended); c stays at 0.3. A running {@code sum += new - old} would keep the rounding errors of the
     * changes.
     */
    @Test
    void theRateSumFollowsRatesThatChangeAndLeaveExactly() {
        start(StreamsConfig.AT_LEAST_ONCE, MeteringConfig.defaults(), 0, true);
        String[] begun = {"a", "b", "c"};
        for (int i = 0; i < begun.length; i++) {
            deliver(DeltaEvent.begin(begun[i], T));
            deliver(DeltaEvent.output(begun[i], T + 1_000, 0));
            deliver(DeltaEvent.output(begun[i], T + 11_000, i + 1));
        }
        tick(T + 12_000);
        assertEquals(0.6, partials().get(0).tpsSum());
        assertEquals(3, partials().get(0).tpsCount());
        deliver(DeltaEvent.output("a", T + 11_000, 3));
        deliver(DeltaEvent.end("b", T + 11_500, 2, 0));
        tick(T + 13_000);
        Partial p = partials().get(partials().size() - 1);
        assertEquals(0.6, p.tpsSum(), "0.3 + 0.3");
        assertEquals(2, p.tpsCount());
        assertEquals(2, p.active());
    }

    /**
     * 1,000 live sessions, all fed before the first tick: that tick visits all of them (each has a record due). The
     * next, with only s7 fed, visits s7 alone, and a tick with nothing fed visits none: the idle sessions cost a tick
     * nothing, while its partial still counts all 1,000 and their rates.
     */
    @Test
    void aTickVisitsOnlyTheSessionsFedSinceTheLastOneNeverTheIdle() {
        start(StreamsConfig.AT_LEAST_ONCE);
        for (int i = 0; i < 1_000; i++) {
            deliver(DeltaEvent.begin("s" + i, T));
            deliver(DeltaEvent.output("s" + i, T + 100, 0));
            deliver(DeltaEvent.output("s" + i, T + 1_100, 10));
        }
        tick(T + 2_000);
        assertEquals(1_000, meter.lastTickVisited());
        deliver(DeltaEvent.output("s7", T + 2_100, 40));
        tick(T + 3_000);
        assertEquals(1, meter.lastTickVisited());
        tick(T + 4_000);
        assertEquals(0, meter.lastTickVisited());
        Partial p = partials().get(partials().size() - 1);
        assertEquals(1_000, p.active());
        assertEquals(1_000, p.tpsCount());
        assertEquals(10_010.0, p.tpsSum(), "999 streams at 10 tokens over 1 s, s7 at 40 over 2 s");
    }

    /**
     * The meter's own part of the per-event path allocates nothing for a delta to a live session: 100 sessions, each
     * fed once, 20,000 deltas to warm up, then a pass of 20,000 more deltas (records built beforehand) costs the thread
     * 0 bytes of heap, counted by the JVM ({@code com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes}),
     * durable store included. The JIT compiles in the background, so on a busy machine the first passes may still run
     * code whose allocations its compiled form removes: passes are measured until one
     * costs 0 bytes, up to 50 (a second's work on a loaded machine; the first or second pass does it on a quiet one). What a
     * delta allocates before it reaches the meter (its key and value decoded, Kafka Streams' record) is in
     * docs/performance.md.
     */
    @Test
    void aDeltaToALiveSessionAllocatesNothingInTheMeter() {
        start(StreamsConfig.AT_LEAST_ONCE, MeteringConfig.defaults(), 0, true);
        int sessions = 100;
        int rounds = 200;
        for (int i = 0; i < sessions; i++) {
            deliver(DeltaEvent.begin("s" + i, T));
            deliver(DeltaEvent.output("s" + i, T + 100, 1));
        }
        for (Record<String, DeltaEvent> r : deltas(sessions, 0, rounds)) { // warm
            meter.process(r);
        }
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        List<Long> passes = new java.util.ArrayList<>();
        for (int pass = 1; pass <= 50 && !passes.contains(0L); pass++) {
            Record<String, DeltaEvent>[] measured = deltas(sessions, pass * rounds, rounds);
            assertEquals(20_000, measured.length);
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < measured.length; i++) { // indexed: an iterator would be an allocation of the test's
                meter.process(measured[i]);
            }
            passes.add(threads.getCurrentThreadAllocatedBytes() - before);
        }
        assertEquals(0L, passes.get(passes.size() - 1), "bytes allocated by each pass of 20,000 deltas: " + passes);
    }

    /** {@code rounds} rounds of one delta to each of {@code sessions} live sessions, from round {@code from}: output and reasoning in turn. */
    @SuppressWarnings("unchecked")
    private static Record<String, DeltaEvent>[] deltas(int sessions, int from, int rounds) {
        List<Record<String, DeltaEvent>> out = new java.util.ArrayList<>();
        for (int r = from; r < from + rounds; r++) {
            for (int i = 0; i < sessions; i++) {
                DeltaEvent e = r % 2 == 0 ? DeltaEvent.output("s" + i, T + 200 + r, 2L + r)
                        : DeltaEvent.reasoning("s" + i, T + 200 + r, 2L + r);
                out.add(new Record<>(e.streamId(), e, e.ts()));
            }
        }
        return out.toArray(new Record[0]);
    }

    /**
     * a, b, c begun in that order and fed at once; near the minute c and then b are fed again. At the tick where a
     * goes stale, the tick's per-stream records go out in the order the sessions began (a's final record and bill,
     * then b's and c's), not in the order they were fed: the tick finds a at the head of the order of receipt and b
     * and c among the touched sessions, and sorts what it found.
     */
    @Test
    void aTicksPerStreamRecordsGoOutInTheOrderOfTheBeginsWhateverTheOrderOfTheDeltas() {
        start(StreamsConfig.AT_LEAST_ONCE);
        for (String id : List.of("a", "b", "c")) {
            deliver(DeltaEvent.begin(id, T));
            deliver(DeltaEvent.output(id, T + 100, 1));
        }
        context.setCurrentSystemTimeMs(T + 60_500);
        deliver(DeltaEvent.output("c", T + 60_500, 5));
        deliver(DeltaEvent.output("b", T + 60_500, 7));
        context.resetForwards();
        tick(T + 61_000); // a was last received at T, 61 s before
        List<String> out = context.forwarded().stream().map(f -> f.record().value())
                .flatMap(v -> v instanceof MeterOutput.StreamRecord r ? Stream.of(r.status().streamId() + " " + r.status().state())
                        : v instanceof MeterOutput.Bill b ? Stream.of(b.item().streamId() + " bill") : Stream.empty())
                .toList();
        assertEquals(List.of("a STALE", "a bill", "b ACTIVE", "c ACTIVE"), out);
    }

    /**
     * A restore reads the store in key order and rebuilds the live order from the sessions' places: 2,000 streams
     * begun and fed in an order unlike their ids' key order, at a cap of 2,000, restarted; each new stream then evicts
     * the one live the longest, in the order of the begins.
     */
    @Test
    void aRestoreRebuildsTheOrderOfTheBeginsWhateverTheKeyOrder() {
        MeteringConfig capOf2000 = MeteringConfig.fromMap(Map.of(MeteringConfig.MAX_SESSIONS_PER_TASK, "2000"));
        start(StreamsConfig.AT_LEAST_ONCE, capOf2000, 0, true);
        List<String> begun = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            begun.add("s" + (i * 7_919 % 2_000)); // a permutation of s0..s1999 (7,919 is prime to 2,000)
        }
        for (String id : begun) {
            deliver(DeltaEvent.begin(id, T));
            deliver(DeltaEvent.output(id, T + 1, 1));
        }
        store.flushCache();
        restartAt(T + 10, capOf2000);
        for (int i = 0; i < 5; i++) {
            deliver(DeltaEvent.begin("new" + i, T + 11));
            deliver(DeltaEvent.output("new" + i, T + 12, 1)); // fed: the next begin evicts the one live the longest
        }
        assertEquals(begun.subList(0, 5), expired());
    }

    /**
     * Liveness is judged on receipt times that never go back: s is fed when the meter's clock reads T + 1 s, then the
     * wall clock steps back half a second and r is fed; r counts as received at T + 1 s too, so both are live at the
     * minute after T + 1 s and both stale a second later.
     */
    @Test
    void aWallClockSteppedBackCountsAsNotMovingForLiveness() {
        start(StreamsConfig.AT_LEAST_ONCE);
        deliver(DeltaEvent.begin("s", T));
        deliver(DeltaEvent.begin("r", T));
        context.setCurrentSystemTimeMs(T + 1_000);
        deliver(DeltaEvent.output("s", T + 1_000, 1));
        context.setCurrentSystemTimeMs(T + 500);
        deliver(DeltaEvent.output("r", T + 1_000, 1));
        tick(T + 61_000);
        assertEquals(2, partials().get(partials().size() - 1).active(), "60 s after T + 1 s: not stale yet");
        tick(T + 62_000);
        assertEquals(0, partials().get(partials().size() - 1).active());
    }

    private static int partitionOf(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % 4;
    }

    private static String keyWhosePartitionIs(int partition, boolean is, String prefix) {
        for (int i = 0; ; i++) {
            if ((partitionOf(prefix + i) == partition) == is) {
                return prefix + i;
            }
        }
    }

    private long misrouted() {
        return MeteringMetrics.total(context.metrics().metrics(), MeteringMetrics.MISROUTED_RECORDS);
    }
}
