package dev.llmmeter.topology.processors;

import dev.llmmeter.contract.Stats;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.MeteringTopology;
import dev.llmmeter.contract.Insight;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.topology.insights.GroupPart;
import dev.llmmeter.topology.insights.LatencySketch;
import dev.llmmeter.topology.insights.SloCounts;
import dev.llmmeter.topology.StoreNames;
import dev.llmmeter.topology.Ticks;
import dev.llmmeter.topology.state.Partial;
import dev.llmmeter.topology.state.PartialSerde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The combiner seen from several session tasks at once (a TopologyTestDriver runs a single task):
 * the stats are global, each tick is emitted once, slow or vanished tasks do not stall it.
 */
class StatsCombinerTest {
    private static final long T = 1_790_000_000_000L;

    private MockProcessorContext<String, CombinerOutput> context;
    private StatsCombiner combiner;
    private MeteringConfig config = MeteringConfig.defaults();

    @BeforeEach
    void setUp() {
        coldStart();
        // Both session tasks are known from an idle tick: the combiner cannot wait for a task it has never heard of.
        report("0_0", T, 0, 0, 0, false);
        report("0_1", T, 0, 0, 0, false);
    }

    /** A combiner with empty stores, expecting two session tasks, as on a first start. */
    private void coldStart() {
        coldStart(new MockProcessorContext<>());
    }

    private void coldStart(MockProcessorContext<String, CombinerOutput> fresh) {
        withEmptyStores(fresh);
        startCombiner();
    }

    private void withEmptyStores(MockProcessorContext<String, CombinerOutput> fresh) {
        context = fresh;
        addStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StoreNames.PARTIALS), Serdes.String(), new PartialSerde()));
        addStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StoreNames.READINGS), Serdes.Long(), Serdes.Double()));
        addStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StoreNames.COMBINER_STATE), Serdes.String(), Serdes.Long()));
        context.setCurrentSystemTimeMs(T);
    }

    /** A combiner over the context's stores, expecting two session tasks; its clock is the context's. */
    private void startCombiner() {
        combiner = new StatsCombiner(config, 2);
        combiner.init(context);
    }

    /** The fallback punctuation, {@code wallClock} being its time counted from the whole second (ticks fire just after it). */
    private void punctuate(long wallClock) {
        long firedAt = wallClock + Ticks.FIRE_DELAY_MS;
        context.setCurrentSystemTimeMs(firedAt);
        List<MockProcessorContext.CapturedPunctuator> scheduled = context.scheduledPunctuators();
        scheduled.get(scheduled.size() - 1).getPunctuator().punctuate(firedAt); // the latest combiner's
    }

    private <S extends KeyValueStore<?, ?>> void addStore(StoreBuilder<S> builder) {
        S store = builder.withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
    }

    /** A task's partial for {@code tick}, arriving when that tick fires (the combiner's clock moves on to it, never back). */
    private void report(String task, long tick, double sum, int count, long active, boolean recent) {
        arriveAt(Ticks.fireTime(tick));
        deliver(task, tick, sum, count, active, recent);
    }

    /** A task's partial, arriving at the combiner's current clock whatever its tick says. */
    private void deliver(String task, long tick, double sum, int count, long active, boolean recent) {
        combiner.process(new Record<>(task, new Partial(tick, sum, count, active, recent), tick));
    }

    private void arriveAt(long wallClock) {
        context.setCurrentSystemTimeMs(Math.max(wallClock, context.currentSystemTimeMs()));
    }

    private long readingsHeld() {
        KeyValueStore<Long, Double> readings = context.getStateStore(StoreNames.READINGS);
        return readings.approximateNumEntries();
    }

    private List<Stats> emitted() {
        List<Stats> out = context.forwarded().stream().map(f -> f.record().value())
                .flatMap(v -> v instanceof CombinerOutput.StatsRecord r ? Stream.of(r.stats()) : Stream.empty()).toList();
        context.resetForwards();
        return out;
    }

    @Test
    void globalTpsIsTheMeanOverAllStreamsNotTheMeanOfTaskMeans() {
        report("0_0", T + 1000, 30.0, 1, 1, true);          // one stream at 30/s
        report("0_1", T + 1000, 10.0 + 20.0, 2, 3, true);   // two streams at 10 and 20/s, plus one waiting
        // (30 + 10 + 20) / 3 = 20.0, where a mean of task means would say 22.5
        assertEquals(List.of(new Stats(20.0, true, false, 20.0, 20.0, 4, T + 1000)), emitted());
    }

    @Test
    void underExactlyOnceTheStatsAreCommittedRightAfterTheyAreEmitted() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "stats-combiner-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        coldStart(new MockProcessorContext<>(props));
        report("0_0", T + 1000, 10.0, 1, 1, true);
        assertFalse(context.committed(), "nothing emitted yet: 0_1 has not reported");
        report("0_1", T + 1000, 20.0, 1, 1, true);
        assertEquals(List.of(new Stats(15.0, true, false, 15.0, 15.0, 2, T + 1000)), emitted());
        assertTrue(context.committed(), "read_committed consumers see the record now, not at the next commit interval");
    }

    @Test
    void underAtLeastOnceEmittingStatsDoesNotAskForACommit() {
        report("0_0", T + 1000, 10.0, 1, 1, true);
        report("0_1", T + 1000, 20.0, 1, 1, true);
        assertEquals(1, emitted().size());
        assertFalse(context.committed());
    }

    @Test
    void aTickIsEmittedOnceEveryKnownTaskHasReportedIt() {
        report("0_0", T + 1000, 10.0, 1, 1, true);
        report("0_1", T + 1000, 20.0, 1, 1, true);
        emitted();
        report("0_0", T + 2000, 10.0, 1, 1, true);
        assertEquals(List.of(), emitted()); // 0_1 has not reported T+2000 yet
        report("0_1", T + 2000, 30.0, 1, 1, true);
        assertEquals(List.of(new Stats(20.0, true, false, 20.0, 15.0, 2, T + 2000)), emitted());
    }

    @Test
    void aSlowTaskCountsWithItsPreviousReportAtTheGraceDeadline() {
        report("0_0", T + 1000, 10.0, 1, 1, true);
        report("0_1", T + 1000, 20.0, 1, 1, true);
        emitted();
        report("0_0", T + 2000, 12.0, 1, 1, true);
        punctuate(T + 2500); // grace is 500 ms
        assertEquals(List.of(new Stats(16.0, true, false, 16.0, 15.0, 2, T + 2000)), emitted());
        report("0_1", T + 2000, 22.0, 1, 1, true); // late: T+2000 is done and never emitted twice
        assertEquals(List.of(), emitted());
    }

    @Test
    void noTickIsEmittedTwice() {
        report("0_0", T + 1000, 10.0, 1, 1, true);
        report("0_1", T + 1000, 10.0, 1, 1, true);
        punctuate(T + 1500);
        report("0_0", T + 1000, 10.0, 1, 1, true); // a redelivered report
        assertEquals(1, emitted().size());
    }

    @Test
    void aTaskSilentForThePartialTtlIsForgotten() {
        report("0_0", T + 1000, 10.0, 1, 1, true);
        report("0_1", T + 1000, 20.0, 1, 5, true);
        emitted();
        for (long tick = T + 2000; tick <= T + 31_000; tick += 1000) {
            report("0_0", tick, 10.0, 1, 1, true);
            punctuate(tick + 500);
        }
        List<Stats> out = emitted();
        // 0_1 last reported T+1000: still counted at T+30000, forgotten at T+31000 (30 s TTL)
        assertEquals(new Stats(15.0, true, false, 15.0, 15.0, 6, T + 30_000), out.get(out.size() - 2));
        assertEquals(new Stats(10.0, true, false, 15.0, 10.0, 1, T + 31_000), out.get(out.size() - 1));
    }

    @Test
    void firstReportOfANeverSeenTaskJoinsFromItsFirstTick() {
        report("0_0", T + 1000, 10.0, 1, 1, true);
        report("0_1", T + 1000, 20.0, 1, 1, true);
        emitted();
        report("0_0", T + 2000, 10.0, 1, 1, true);
        report("0_1", T + 2000, 20.0, 1, 1, true);
        report("0_2", T + 2000, 60.0, 1, 1, true); // a task added by scale-out, after T+2000 was complete
        assertEquals(List.of(new Stats(15.0, true, false, 15.0, 15.0, 2, T + 2000)), emitted());
        report("0_0", T + 3000, 10.0, 1, 1, true);
        report("0_1", T + 3000, 20.0, 1, 1, true);
        assertEquals(List.of(), emitted()); // now waits for 0_2 too
        report("0_2", T + 3000, 60.0, 1, 1, true);
        assertEquals(List.of(new Stats(30.0, true, false, 30.0, 15.0, 3, T + 3000)), emitted());
    }

    @Test
    void onAColdStartTheShareOfTheFirstTaskToReportIsNotPublished() {
        coldStart();
        report("0_0", T + 1000, 10.0, 1, 1, true);
        punctuate(T + 1500); // grace passed, and 0_1 never heard of
        assertEquals(List.of(), emitted());
        report("0_0", T + 2000, 10.0, 1, 1, true);
        report("0_1", T + 2000, 30.0, 1, 1, true);
        assertEquals(List.of(new Stats(20.0, true, false, 20.0, 20.0, 2, T + 2000)), emitted());
    }

    @Test
    void aTaskThatNeverReportsDelaysTheColdStartByAtMostThePartialTtl() {
        coldStart();
        for (long tick = T + 1000; tick <= T + 31_000; tick += 1000) {
            report("0_0", tick, 10.0, 1, 1, true);
            punctuate(tick + 500);
        }
        // held back for 30 s (T+1000 .. T+30000), then published with what there is
        assertEquals(List.of(new Stats(10.0, true, false, 10.0, 10.0, 1, T + 31_000)), emitted());
    }

    @Test
    void statsStayIdleUntilSomeTaskHasRecentDeltas() {
        report("0_0", T + 1000, 0, 0, 2, false);
        report("0_1", T + 1000, 0, 0, 0, false);
        assertEquals(List.of(), emitted());
        report("0_0", T + 2000, 0, 0, 2, true);
        report("0_1", T + 2000, 0, 0, 0, false);
        assertEquals(List.of(new Stats(null, false, false, null, null, 2, T + 2000)), emitted());
    }

    private static final long HOUR = 3_600_000;

    @Test
    void aPartialFromAnHourAheadNeitherMovesTheTickNorDropsTheOtherTasks() {
        report("0_0", T + 1000, 10.0, 1, 1, true);
        report("0_1", T + 1000, 20.0, 1, 1, true);
        assertEquals(List.of(new Stats(15.0, true, false, 15.0, 15.0, 2, T + 1000)), emitted());
        deliver("0_0", T + HOUR, 90.0, 1, 1, true); // an instance with a bad clock, for one tick
        assertEquals(List.of(), emitted());
        assertEquals(1, MeteringMetrics.total(context.metrics().metrics(), MeteringMetrics.FUTURE_PARTIALS));
        report("0_0", T + 2000, 10.0, 1, 1, true); // its clock is right again
        report("0_1", T + 2000, 20.0, 1, 1, true);
        punctuate(T + 2500);
        assertEquals(List.of(new Stats(15.0, true, false, 15.0, 15.0, 2, T + 2000)), emitted());
    }

    @Test
    void aTickNeverGoesAheadOfTheCombinersClock() {
        deliver("0_0", T + 5000, 10.0, 1, 1, true); // both tasks' clocks 5 s ahead of the combiner's
        deliver("0_1", T + 5000, 20.0, 1, 1, true);
        assertEquals(List.of(), emitted());
        punctuate(T + 1500);
        assertEquals(List.of(new Stats(15.0, true, false, 15.0, 15.0, 2, T + 1000)), emitted());
        assertEquals(2, MeteringMetrics.total(context.metrics().metrics(), MeteringMetrics.FUTURE_PARTIALS));
    }

    @Test
    void stateRestoredFromTheFutureIsBroughtBackToTheCombinersClock() {
        combiner.close();
        withEmptyStores(new MockProcessorContext<>());
        KeyValueStore<String, Long> progress = context.getStateStore(StoreNames.COMBINER_STATE);
        progress.put(StatsCombiner.LAST_EMITTED_TICK, T + HOUR);
        KeyValueStore<String, Partial> stored = context.getStateStore(StoreNames.PARTIALS);
        stored.put("0_0", new Partial(T + HOUR, 90.0, 1, 1, true));
        stored.put("0_1", new Partial(T, 20.0, 1, 1, true));
        KeyValueStore<Long, Double> readings = context.getStateStore(StoreNames.READINGS);
        readings.put(T - 5000, 12.0);
        readings.put(T + HOUR, 90.0);
        startCombiner(); // what an earlier version left behind after trusting a partial from the future
        report("0_0", T + 1000, 10.0, 1, 1, true);
        report("0_1", T + 1000, 20.0, 1, 1, true);
        assertEquals(List.of(new Stats(15.0, true, false, 15.0, 12.0, 2, T + 1000)), emitted());
        assertEquals(null, readings.get(T + HOUR));
    }

    /**
     * The restart clamp adds metering.max.future.ms to the clock: at the largest value allowed, and a clock at the
     * end of the year 9999 (the replay's last), it does not overflow (an overflow would make every reading "from the
     * future" and forget it), so the hour's readings survive the restart as they are.
     */
    @Test
    void atTheLargestMaxFutureTheRestartClampKeepsTheReadingsAndTheLastTick() {
        long late = 253_402_300_799_000L - 10_000; // 9999-12-31T23:59:49Z
        Map<String, Object> largest = Map.of(MeteringConfig.MAX_FUTURE_MS, String.valueOf(MeteringConfig.MAX_FUTURE_LIMIT_MS));
        for (long clock : new long[] {T, late}) {
            combiner.close();
            withEmptyStores(new MockProcessorContext<>());
            context.setCurrentSystemTimeMs(clock);
            KeyValueStore<String, Long> progress = context.getStateStore(StoreNames.COMBINER_STATE);
            progress.put(StatsCombiner.LAST_EMITTED_TICK, clock + 2000);
            KeyValueStore<Long, Double> readings = context.getStateStore(StoreNames.READINGS);
            readings.put(clock - 5000, 12.0);
            readings.put(clock + 2000, 30.0); // another instance's clock was 2 s ahead: within the setting, kept
            combiner = new StatsCombiner(MeteringConfig.fromMap(largest), 2);
            combiner.init(context);
            assertEquals(12.0, readings.get(clock - 5000));
            assertEquals(30.0, readings.get(clock + 2000));
        }
    }

    /**
     * Both tasks report T+1000 and T+2000, which are emitted; then the combiner closes and its task starts again over
     * the same stores with its clock at {@code clock}.
     */
    private void emitTwoTicksThenRestartAt(long clock) {
        report("0_0", T + 1000, 10.0, 1, 1, true);
        report("0_1", T + 1000, 20.0, 1, 1, true);
        report("0_0", T + 2000, 10.0, 1, 1, true);
        report("0_1", T + 2000, 20.0, 1, 1, true);
        assertEquals(2, emitted().size());
        combiner.close();
        context.setCurrentSystemTimeMs(clock);
        startCombiner();
    }

    @Test
    void aCombinerMovedToAnInstanceWhoseClockIsALittleBehindPublishesNoTickTwice() {
        emitTwoTicksThenRestartAt(T + 1200); // on a new host whose clock is 0.8 s behind the old one's
        punctuate(T + 1500);
        punctuate(T + 2500);
        assertEquals(List.of(), emitted()); // T+1000 and T+2000 are done, whichever clock says so
        report("0_0", T + 3000, 10.0, 1, 1, true);
        report("0_1", T + 3000, 20.0, 1, 1, true);
        assertEquals(List.of(new Stats(15.0, true, false, 15.0, 15.0, 2, T + 3000)), emitted());
    }

    @Test
    void aMovedCombinerHasActiveAndTpsAtOnceAndItsWindowsOnlyFromWhenItStarted() {
        reportWithGlobal("0_0", T + 1000, 100, 1, 250);
        reportWithGlobal("0_1", T + 1000, 100, 1, 400);
        Insight before = globalInsight();
        assertEquals(20.0, before.systemTps());
        assertEquals(2, before.started());
        assertEquals(2, before.ttftMs().count());
        combiner.close(); // the instance dies; the combiner's task starts elsewhere over the changelogged stores
        context.setCurrentSystemTimeMs(T + 1500);
        startCombiner();
        reportWithGlobal("0_0", T + 2000, 10, 0, -1);
        reportWithGlobal("0_1", T + 2000, 10, 0, -1);
        Insight after = globalInsight();
        assertEquals(2, after.active(), "from the partials, at once");
        assertEquals(15.0, after.tps());
        assertEquals(2.0, after.systemTps(), "the 60-s windows live in memory: only what arrived since the move");
        assertEquals(0, after.started());
        assertNull(after.ttftMs());
    }

    @Test
    void aMovedCombinersHourOfServiceLevelFiguresCoversOnlyWhatArrivedSinceItStarted() {
        config = MeteringConfig.fromMap(Map.of(MeteringConfig.SLO_TTFT_MS, "500"));
        setUp();
        reportJudged("0_0", T + 1000, new SloCounts(1, 1, 1, 0, 0, 1, 7));
        reportJudged("0_1", T + 1000, new SloCounts(2, 2, 1, 0, 0, 1, 3));
        assertEquals(new Insight.Attainment(3, 3, 2, 0, 0, 2, 2 / 3.0, null, 2 / 3.0, 2 / 3600.0, 10 / 3600.0),
                globalInsight().slo().lastHour());
        combiner.close();
        context.setCurrentSystemTimeMs(T + 1500);
        startCombiner();
        reportJudged("0_0", T + 2000, new SloCounts(1, 1, 0, 0, 0, 0, 0));
        reportJudged("0_1", T + 2000, new SloCounts());
        assertEquals(new Insight.Attainment(1, 1, 0, 0, 0, 0, 0.0, null, 0.0, 0.0, 0.0), globalInsight().slo().lastHour(),
                "the hour lives in memory, as the 60-s windows");
    }

    private void reportJudged(String task, long tick, SloCounts judged) {
        GroupPart global = new GroupPart(1, 10.0, 1, 1, 0, 0, new LatencySketch(), new LatencySketch(), new LatencySketch(), judged);
        arriveAt(Ticks.fireTime(tick));
        combiner.process(new Record<>(task, new Partial(tick, 10.0, 1, 1, true, Map.of(Topics.STATS_KEY, global)), tick));
    }

    /** A task's partial for {@code tick} with one live stream at 10 or 20 tokens/s and a global part: its tokens, begins, and a TTFT (none when negative). */
    private void reportWithGlobal(String task, long tick, long tokens, int started, long ttftMs) {
        LatencySketch ttft = new LatencySketch();
        if (ttftMs >= 0) {
            ttft.add(ttftMs);
        }
        double tps = task.equals("0_0") ? 10.0 : 20.0;
        GroupPart global = new GroupPart(1, tps, 1, tokens, started, 0, ttft, new LatencySketch(), new LatencySketch());
        arriveAt(Ticks.fireTime(tick));
        combiner.process(new Record<>(task, new Partial(tick, tps, 1, 1, true, Map.of(Topics.STATS_KEY, global)), tick));
    }

    private Insight globalInsight() {
        List<Insight> out = context.forwarded().stream().map(f -> f.record().value())
                .flatMap(v -> v instanceof CombinerOutput.InsightRecord r ? Stream.of(r.insight()) : Stream.empty()).filter(i -> i.group() == Insight.Group.GLOBAL).toList();
        context.resetForwards();
        assertEquals(1, out.size(), out.toString());
        return out.get(0);
    }

    @Test
    void aTaskWhoseClockLagsIsNotSilentWhileItsPartialsKeepArriving() {
        coldStart();
        for (long tick = T + 1000; tick <= T + 40_000; tick += 1000) {
            report("0_0", tick, 10.0, 1, 1, true);
            deliver("0_1", tick - 35_000, 20.0, 1, 5, true); // its clock is 35 s behind: older ticks, on time
            punctuate(tick + 500);
        }
        List<Stats> out = emitted();
        assertEquals(40, out.size());
        assertEquals(new Stats(15.0, true, false, 15.0, 15.0, 6, T + 40_000), out.get(out.size() - 1));
    }

    @Test
    void aTickLackingATasksFreshPartialIsPublishedButRecordsNoReading() {
        report("0_0", T + 1000, 10.0, 1, 1, true);
        report("0_1", T + 1000, 20.0, 1, 1, true);
        emitted();
        for (long tick = T + 2000; tick <= T + 8000; tick += 1000) {
            report("0_0", tick, 40.0, 1, 1, true); // 0_1's instance died: its share stays at 20 until the TTL
            punctuate(tick + 500);
        }
        List<Stats> out = emitted();
        assertEquals(7, out.size());
        assertEquals(new Stats(30.0, true, false, 30.0, 15.0, 2, T + 8000), out.get(6));
        // readings at T+1000 (15.0) and while 0_1's last partial was at most 5 s old (T+2000 .. T+5000); none after
        assertEquals(5, readingsHeld());
    }

    @Test
    void restoredPartialsAreNotFreshUntilTheirTasksReportAgain() {
        report("0_0", T + 1000, 10.0, 1, 1, true);
        report("0_1", T + 1000, 20.0, 1, 1, true);
        emitted();
        combiner.close();
        startCombiner(); // the combiner task moved: same stores, partials restored from them
        report("0_0", T + 2000, 50.0, 1, 1, true);
        punctuate(T + 2500); // 0_1 has not reported since the restore: its share counts, no reading
        assertEquals(List.of(new Stats(35.0, true, false, 15.0, 15.0, 2, T + 2000)), emitted());
        report("0_0", T + 3000, 50.0, 1, 1, true);
        report("0_1", T + 3000, 20.0, 1, 1, true);
        assertEquals(List.of(new Stats(35.0, true, false, 35.0, 15.0, 2, T + 3000)), emitted());
    }

    @Test
    void afterAStallTheFastPathEmitsTheMissedTicksBeforeTheTickItCompletes() {
        report("0_0", T + 1000, 10.0, 1, 1, true);
        report("0_1", T + 1000, 20.0, 1, 1, true);
        assertEquals(1, emitted().size());
        // The stream thread stalled 3.5 s; the first records it processes complete T+4000, ahead of any fallback.
        arriveAt(T + 4500);
        deliver("0_0", T + 4000, 40.0, 1, 1, true);
        deliver("0_1", T + 4000, 20.0, 1, 1, true);
        assertEquals(List.of(
                new Stats(30.0, true, false, 30.0, 15.0, 2, T + 2000),
                new Stats(30.0, true, false, 30.0, 15.0, 2, T + 3000),
                new Stats(30.0, true, false, 30.0, 15.0, 2, T + 4000)), emitted());
        punctuate(T + 4500);
        assertEquals(List.of(), emitted(), "T+4000 and those before it are done");
    }

    @Test
    void aCombinerRestartedFromItsStoresEmitsTheTicksItMissedWhileDownAndNoneItHadEmitted() {
        emitTwoTicksThenRestartAt(T + 6200); // its instance died; the task starts again over the same stores 4 s later
        report("0_0", T + 7000, 40.0, 1, 1, true);
        report("0_1", T + 7000, 20.0, 1, 1, true);
        assertEquals(LongStream.rangeClosed(3, 7).mapToObj(s -> new Stats(30.0, true, false, 30.0, 15.0, 2, T + s * 1000)).toList(),
                emitted());
        punctuate(T + 7500);
        assertEquals(List.of(), emitted());
    }

    /** The combiner alone in a TopologyTestDriver: partials in, keyed by session task; stats out; the wall clock its own. */
    private static final class CombinerDriver implements AutoCloseable {
        final TopologyTestDriver driver;
        final TestInputTopic<String, Partial> partials;
        final TestOutputTopic<String, Stats> stats;

        CombinerDriver(MeteringConfig config) {
            Topology topology = new Topology();
            topology.addSource("partials", new StringDeserializer(), new PartialSerde().deserializer(), "partials");
            topology.addProcessor("combiner", () -> new StatsCombiner(config, 2), "partials");
            topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StoreNames.PARTIALS),
                    Serdes.String(), new PartialSerde()), "combiner");
            topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StoreNames.READINGS),
                    Serdes.Long(), Serdes.Double()), "combiner");
            topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StoreNames.COMBINER_STATE),
                    Serdes.String(), Serdes.Long()), "combiner");
            topology.addProcessor("stats", StatsOnly::new, "combiner");
            topology.addSink("out", "stats", new StringSerializer(), Topics.STATS.valueSerde().serializer(), "stats");
            Properties props = MeteringTopology.streamsProperties(config);
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, "stats-combiner-test");
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
            driver = new TopologyTestDriver(topology, props, Instant.ofEpochMilli(T));
            partials = driver.createInputTopic("partials", new StringSerializer(), new PartialSerde().serializer());
            stats = driver.createOutputTopic("stats", new StringDeserializer(), Topics.STATS.valueSerde().deserializer());
        }

        /** Both session tasks' partials for {@code tick}, processed at the current wall clock. */
        void report(long tick, double sum0, double sum1) {
            partials.pipeInput("0_0", new Partial(tick, sum0, 1, 1, true), tick);
            partials.pipeInput("0_1", new Partial(tick, sum1, 1, 1, true), tick);
        }

        /** The wall clock moves on by {@code ms} in one step: a due wall-clock punctuation runs once, however many it missed. */
        void stall(long ms) {
            driver.advanceWallClockTime(Duration.ofMillis(ms));
        }

        long total(String counter) {
            return MeteringMetrics.total(driver.metrics(), counter);
        }

        @Override
        public void close() {
            driver.close();
        }
    }

    private static final class StatsOnly implements Processor<String, CombinerOutput, String, Stats> {
        private ProcessorContext<String, Stats> context;

        @Override
        public void init(ProcessorContext<String, Stats> context) {
            this.context = context;
        }

        @Override
        public void process(Record<String, CombinerOutput> record) {
            if (record.value() instanceof CombinerOutput.StatsRecord r) {
                context.forward(record.withValue(r.stats()));
            }
        }
    }

    @Test
    void aStallOfThreeAndAHalfSecondsEmitsEachMissedTickOnceInOrderWithTheFiguresTheCombinerHas() {
        try (CombinerDriver d = new CombinerDriver(MeteringConfig.defaults())) {
            d.stall(1001); // T+1000 fires
            d.report(T + 1000, 10.0, 20.0);
            d.stall(1000); // T+2000 fires
            d.report(T + 2000, 30.0, 20.0);
            assertEquals(List.of(
                    new Stats(15.0, true, false, 15.0, 15.0, 2, T + 1000),
                    new Stats(25.0, true, false, 25.0, 15.0, 2, T + 2000)), d.stats.readValuesToList());
            d.stall(3500); // the stream thread stalls from T+2001 to T+5501: one late fallback, for T+5000
            assertEquals(List.of(
                    new Stats(25.0, true, false, 25.0, 15.0, 2, T + 3000),
                    new Stats(25.0, true, false, 25.0, 15.0, 2, T + 4000),
                    new Stats(25.0, true, false, 25.0, 15.0, 2, T + 5000)), d.stats.readValuesToList());
            d.report(T + 3000, 50.0, 50.0); // the partials held up by the stall arrive after the fallback emitted their ticks
            d.report(T + 4000, 50.0, 50.0);
            d.report(T + 5000, 50.0, 50.0);
            assertEquals(List.of(), d.stats.readValuesToList(), "no tick twice");
            d.stall(500); // T+6001
            d.report(T + 6000, 60.0, 20.0);
            assertEquals(List.of(new Stats(40.0, true, false, 40.0, 15.0, 2, T + 6000)), d.stats.readValuesToList());
            assertEquals(0, d.total(MeteringMetrics.SKIPPED_TICKS));
        }
    }

    @Test
    void aStallLongerThanTheBoundEmitsTheLastSixtyMissedTicksAndCountsTheOlderOnesAsSkipped() {
        MeteringConfig longTtl = MeteringConfig.fromMap(Map.of(MeteringConfig.PARTIAL_TTL_MS, "600000"));
        try (CombinerDriver d = new CombinerDriver(longTtl)) {
            d.stall(1001);
            d.report(T + 1000, 10.0, 20.0);
            d.stall(1000);
            d.report(T + 2000, 30.0, 20.0);
            assertEquals(2, d.stats.readValuesToList().size());
            d.stall(100_000); // T+2001 to T+102001: T+3000 .. T+100000 missed, T+101000 due
            List<Stats> out = d.stats.readValuesToList();
            // no reading for the missed ticks: the shares are more than 5 s old and not for them
            assertEquals(LongStream.rangeClosed(41, 101).mapToObj(s -> new Stats(25.0, true, false, 25.0, 15.0, 2, T + s * 1000)).toList(),
                    out);
            assertEquals(StatsCombiner.MAX_MISSED_TICKS + 1, out.size(), "the bound's missed ticks, then the tick due");
            assertEquals(38, d.total(MeteringMetrics.SKIPPED_TICKS), "T+3000 .. T+40000");
        }
    }

    @Test
    void aStallOfExactlyTheBoundSkipsNoTickAndOnePastItSkipsOne() {
        MeteringConfig longTtl = MeteringConfig.fromMap(Map.of(MeteringConfig.PARTIAL_TTL_MS, "600000"));
        for (int missed : new int[] {StatsCombiner.MAX_MISSED_TICKS, StatsCombiner.MAX_MISSED_TICKS + 1}) {
            try (CombinerDriver d = new CombinerDriver(longTtl)) {
                d.stall(1001);
                d.report(T + 1000, 10.0, 20.0);
                d.stall(1000);
                d.report(T + 2000, 30.0, 20.0);
                assertEquals(2, d.stats.readValuesToList().size());
                d.stall((missed + 2) * 1000L); // T+3000 .. T+(missed+2)*1000 missed, the one after due
                long due = missed + 3;
                long firstEmitted = due - StatsCombiner.MAX_MISSED_TICKS;
                assertEquals(LongStream.rangeClosed(Math.max(3, firstEmitted), due)
                                .mapToObj(s -> new Stats(25.0, true, false, 25.0, 15.0, 2, T + s * 1000)).toList(),
                        d.stats.readValuesToList(), missed + " missed");
                assertEquals(missed - StatsCombiner.MAX_MISSED_TICKS, d.total(MeteringMetrics.SKIPPED_TICKS), missed + " missed");
            }
        }
    }
}
