package dev.llmmeter.topology.processors;

import dev.llmmeter.contract.Stats;
import dev.llmmeter.topology.MeteringConfig;
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
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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

    @Test
    void aCombinerMovedToAnInstanceWhoseClockIsALittleBehindPublishesNoTickTwice() {
        report("0_0", T + 1000, 10.0, 1, 1, true);
        report("0_1", T + 1000, 20.0, 1, 1, true);
        report("0_0", T + 2000, 10.0, 1, 1, true);
        report("0_1", T + 2000, 20.0, 1, 1, true);
        assertEquals(2, emitted().size());
        combiner.close();
        context.setCurrentSystemTimeMs(T + 1200); // the new host's clock is 0.8 s behind the old one's
        startCombiner();
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
}
