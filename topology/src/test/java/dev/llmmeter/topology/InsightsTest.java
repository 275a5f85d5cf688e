package dev.llmmeter.topology;

import dev.llmmeter.contract.Topics;
import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.Insight;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.topology.processors.MeteringMetrics;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static dev.llmmeter.contract.Insight.Group.GLOBAL;
import static dev.llmmeter.contract.Insight.Group.MODEL;
import static dev.llmmeter.contract.Insight.Group.TENANT;
import static dev.llmmeter.topology.MeteringDriver.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * metering.insights, figure by figure. The wall clock (when the meter receives events: what "applied in the last N s"
 * is judged on) is driven apart from the events' own times (what the figures are made of). Percentiles are checked
 * against the exact ones of the sorted values, within the sketch's 1%.
 */
class InsightsTest {

    /** The insight of {@code key} at {@code tick} among {@code all}. */
    private static Insight at(List<Insight> all, long tick, String key) {
        return all.stream().filter(i -> i.ts() == tick && i.key().equals(key)).findFirst().orElse(null);
    }

    /** The exact q-quantile the sketch estimates: the sorted values' element at floor(q (n - 1)). */
    private static long exact(long[] values, double q) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[(int) Math.floor(q * (sorted.length - 1))];
    }

    private static void assertPercentiles(long[] values, Insight.Percentiles p) {
        assertEquals(values.length, p.count());
        assertWithinOnePercent(exact(values, 0.5), p.p50(), "p50");
        assertWithinOnePercent(exact(values, 0.9), p.p90(), "p90");
        assertWithinOnePercent(exact(values, 0.99), p.p99(), "p99");
    }

    private static void assertWithinOnePercent(long exact, double estimate, String what) {
        assertTrue(Math.abs(estimate - exact) <= 0.01 * exact, what + ": " + estimate + " is not within 1% of " + exact);
    }

    @Test
    void systemTpsIsTheTokenIncreaseAppliedInTheLastTenSecondsOverTen() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0, "m", null).output("s1", T0 + 100, 10).output("s1", T0 + 1_100, 30).reasoning("s1", T0 + 2_100, 5)
                    .tickTo(T0 + 13_000);
            List<Insight> all = d.insights();
            assertEquals(1.0, at(all, T0 + 1_000, "global").systemTps());
            assertEquals(3.5, at(all, T0 + 3_000, "global").systemTps(), "10 + 20 + 5 tokens in the last 10 s");
            assertEquals(3.5, at(all, T0 + 10_000, "global").systemTps());
            assertEquals(2.5, at(all, T0 + 11_000, "global").systemTps(), "the first second's 10 left the window");
            assertEquals(0.5, at(all, T0 + 12_000, "global").systemTps());
            assertEquals(0.0, at(all, T0 + 13_000, "global").systemTps());
            assertEquals(3.5, at(all, T0 + 3_000, "model:m").systemTps());
        }
    }

    @Test
    void ttftP99CoversStreamsWhoseFirstDeltaWasInTheLastMinute() {
        try (MeteringDriver d = new MeteringDriver()) {
            long[] early = new long[100];
            long[] late = new long[100];
            d.arriveAt(T0 + 500); // received at T0 + 0.5 s, whatever the events say: the second of tick T0 + 1 s
            for (int i = 0; i < 100; i++) {
                early[i] = 50 + (i * 7919L) % 2000;
                d.deliver(DeltaEvent.begin("a" + i, T0 - 10_000)).deliver(DeltaEvent.output("a" + i, T0 - 10_000 + early[i], 1));
            }
            d.arriveAt(T0 + 30_500);
            for (int i = 0; i < 100; i++) {
                late[i] = 1_000 + (i * 104_729L) % 5_000;
                d.deliver(DeltaEvent.begin("b" + i, T0 + 20_000)).deliver(DeltaEvent.output("b" + i, T0 + 20_000 + late[i], 1));
            }
            d.tickTo(T0 + 61_000);
            List<Insight> all = d.insights();
            long[] both = new long[200];
            System.arraycopy(early, 0, both, 0, 100);
            System.arraycopy(late, 0, both, 100, 100);
            assertPercentiles(early, at(all, T0 + 1_000, "global").ttftMs());
            assertPercentiles(both, at(all, T0 + 31_000, "global").ttftMs());
            assertPercentiles(both, at(all, T0 + 60_000, "global").ttftMs());
            assertPercentiles(late, at(all, T0 + 61_000, "global").ttftMs());
            assertNull(at(all, T0 + 1_000, "global").itlMs(), "a first delta has no gap before it");
        }
    }

    @Test
    void itlPercentilesAreTheEventTimeGapsOfDeltasAppliedInTheLastMinute() {
        try (MeteringDriver d = new MeteringDriver()) {
            long[] gaps = new long[149];
            d.arriveAt(T0 + 200).deliver(DeltaEvent.begin("s1", T0 - 5_000)).deliver(DeltaEvent.output("s1", T0 - 4_000, 1));
            long ts = T0 - 4_000;
            for (int k = 0; k < gaps.length; k++) {
                gaps[k] = 10 + (k * 31L) % 90;
                ts += gaps[k];
                // a backlog: every delta received at the same wall-clock time, their gaps only in their own times
                d.deliver(k % 3 == 0 ? DeltaEvent.reasoning("s1", ts, k) : DeltaEvent.output("s1", ts, k + 2));
            }
            d.tickTo(T0 + 1_000);
            Insight g = at(d.insights(), T0 + 1_000, "global");
            assertPercentiles(gaps, g.itlMs());
            assertEquals(1, g.ttftMs().count());
            assertWithinOnePercent(1_000, g.ttftMs().p50(), "ttft");
        }
    }

    @Test
    void aRedeliveredDeltaAddsNoGapAndNoTokens() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.arriveAt(T0 + 200).deliver(DeltaEvent.begin("s1", T0 - 1_000))
                    .deliver(DeltaEvent.output("s1", T0 - 900, 1))
                    .deliver(DeltaEvent.output("s1", T0 - 800, 4))
                    .deliver(DeltaEvent.output("s1", T0 - 800, 4)) // redelivered (at-least-once, after a crash)
                    .deliver(DeltaEvent.output("s1", T0 - 600, 9))
                    .deliver(DeltaEvent.output("s1", T0 - 600, 9));
            d.tickTo(T0 + 1_000);
            Insight g = at(d.insights(), T0 + 1_000, "global");
            assertPercentiles(new long[] {100, 200}, g.itlMs());
            assertEquals(0.9, g.systemTps(), "9 tokens in the window, each counted once");
            assertEquals(1, g.ttftMs().count());
        }
    }

    @Test
    void aBacklogAppliedAtOnceShowsInSystemTpsButNotInTheLatencies() {
        try (MeteringDriver d = new MeteringDriver()) {
            // 90 s of a stream's deltas (one every 500 ms, 2 tokens each) read in one second after an outage
            d.arriveAt(T0 + 100).deliver(DeltaEvent.begin("s1", T0 - 91_000));
            long[] gaps = new long[179];
            for (int k = 0; k <= gaps.length; k++) {
                d.deliver(DeltaEvent.output("s1", T0 - 90_000 + 500L * k, 2L * (k + 1)));
                if (k > 0) {
                    gaps[k - 1] = 500;
                }
            }
            d.tickTo(T0 + 1_000);
            Insight g = at(d.insights(), T0 + 1_000, "global");
            assertEquals(36.0, g.systemTps(), "360 tokens applied within the last 10 s of the meter's clock");
            assertPercentiles(gaps, g.itlMs()); // the producer's gaps, 500 ms, not the meter's 0
            assertPercentiles(new long[] {1_000}, g.ttftMs());
            assertEquals(4.0, g.tps(), "the stream's own rate: 360 tokens over 89.5 s of event time, as the seed has it");
        }
    }

    @Test
    void aFirstDeltaDatedBeforeItsBeginCountsAsZeroTimeToFirstToken() {
        try (MeteringDriver d = new MeteringDriver()) {
            // the begin from a gateway whose clock is 300 ms ahead of the model server's
            d.begin("s1", T0 + 300, "m", null).output("s1", T0 + 100, 1).output("s1", T0 + 600, 2).tickTo(T0 + 1_000);
            Insight g = at(d.insights(), T0 + 1_000, "global");
            assertEquals(0.0, g.ttftMs().p50(), "clamped at 0 in the percentiles");
            assertEquals(-200L, d.streams().get(0).ttftMs(), "the stream's own record shows the skew as it is");
        }
    }

    @Test
    void tpotIsDecodeTimeOverFinalOutputTokensLessOneOncePerStreamAtItsEnd() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.arriveAt(T0 + 100).deliver(DeltaEvent.begin("s1", T0 - 1_000))
                    .deliver(DeltaEvent.reasoning("s1", T0 - 950, 3)) // not an output delta: decode starts at the first output
                    .deliver(DeltaEvent.output("s1", T0 - 900, 1))
                    .deliver(DeltaEvent.output("s1", T0 - 800, 5))
                    .deliver(DeltaEvent.output("s1", T0 - 600, 9));
            d.tickTo(T0 + 1_000);
            assertNull(at(d.insights(), T0 + 1_000, "global").tpotMs(), "a live stream gives none yet");
            d.arriveAt(T0 + 1_200).deliver(DeltaEvent.end("s1", T0 - 500, 9, 0));
            d.tickTo(T0 + 62_000);
            List<Insight> all = d.insights();
            Insight.Percentiles p = at(all, T0 + 2_000, "global").tpotMs();
            assertEquals(1, p.count());
            assertTrue(Math.abs(p.p50() - 37.5) <= 0.005 * 37.5 + 0.05, p + ": 300 ms over 8 tokens is 37.5 ms");
            assertEquals(p, at(all, T0 + 61_000, "global").tpotMs(), "in the window for a minute");
            assertNull(at(all, T0 + 62_000, "global").tpotMs());
        }
    }

    @Test
    void aStreamWithOneOutputTokenOrOneOutputDeltaGivesNoTpot() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.arriveAt(T0 + 100).deliver(DeltaEvent.begin("one", T0 - 1_000)).deliver(DeltaEvent.output("one", T0 - 900, 1))
                    .deliver(DeltaEvent.end("one", T0 - 800, 1, 0))
                    .deliver(DeltaEvent.begin("chunk", T0 - 1_000)).deliver(DeltaEvent.output("chunk", T0 - 900, 40))
                    .deliver(DeltaEvent.end("chunk", T0 - 800, 40, 0));
            d.tickTo(T0 + 1_000);
            Insight g = at(d.insights(), T0 + 1_000, "global");
            assertEquals(2, g.ended());
            assertNull(g.tpotMs());
        }
    }

    @Test
    void anEvictedStreamGivesItsTpotFromItsOwnOutputCount() {
        MeteringConfig capOf1 = MeteringConfig.fromMap(Map.of(MeteringConfig.MAX_SESSIONS_PER_TASK, "1"));
        try (MeteringDriver d = new MeteringDriver(capOf1)) {
            d.arriveAt(T0 + 100).deliver(DeltaEvent.begin("s1", T0 - 1_000))
                    .deliver(DeltaEvent.output("s1", T0 - 900, 1))
                    .deliver(DeltaEvent.output("s1", T0 - 500, 5))
                    .deliver(DeltaEvent.begin("s2", T0 - 400)); // the cap: s1 is evicted
            d.tickTo(T0 + 1_000);
            Insight.Percentiles p = at(d.insights(), T0 + 1_000, "global").tpotMs();
            assertEquals(1, p.count());
            assertEquals(100.0, p.p50(), 0.005 * 100 + 0.05, "400 ms over 4 tokens");
        }
    }

    @Test
    void aStaleStreamGivesItsTpotFromItsOwnOutputCountInItsModelsGroup() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.arriveAt(T0 + 100).deliver(DeltaEvent.begin("s1", T0 - 1_000, "m", null))
                    .deliver(DeltaEvent.output("s1", T0 - 900, 1))
                    .deliver(DeltaEvent.output("s1", T0 - 880, 3));
            d.tickTo(T0 + 62_000);
            List<Insight> all = d.insights();
            Insight.Percentiles p = all.stream().filter(i -> i.key().equals("model:m") && i.tpotMs() != null)
                    .findFirst().orElseThrow().tpotMs();
            assertEquals(1, p.count());
            assertEquals(10.0, p.p50(), 0.005 * 10 + 0.05, "20 ms over 2 tokens");
        }
    }

    /** The figures of an insight without its percentiles, which are checked on their own. */
    private static Insight figures(Insight i) {
        return new Insight(i.ts(), i.group(), i.name(), i.active(), i.tps(), i.systemTps(), null, null, null, i.started(), i.ended());
    }

    @Test
    void groupsBreakDownByModelAndTenantAndUnlabelledStreamsCountInGlobalOnly() {
        try (MeteringDriver d = new MeteringDriver()) {
            scenario(d);
            List<Insight> tick = d.insights().stream().filter(i -> i.ts() == T0 + 1_000).toList();
            long t = T0 + 1_000;
            assertEquals(List.of(
                    // (22 + 25 + 8 + 12) / 4 = 16.75 on paper; the seed's float seconds make it 16.74999.. -> 16.7, as in the stats
                    new Insight(t, GLOBAL, null, 4, 16.7, 2.9, null, null, null, 4, 0),
                    new Insight(t, MODEL, "a", 2, 23.5, 1.6, null, null, null, 2, 0),
                    new Insight(t, MODEL, "b", 1, 8.0, 0.4, null, null, null, 1, 0),
                    new Insight(t, TENANT, "x", 2, 15.0, 1.5, null, null, null, 2, 0),
                    new Insight(t, TENANT, "y", 1, 25.0, 0.5, null, null, null, 1, 0)),
                    tick.stream().map(InsightsTest::figures).toList());
            assertEquals(List.of("global", "model:a", "model:b", "tenant:x", "tenant:y"), tick.stream().map(Insight::key).toList());
            assertEquals(tick.get(0).tps(), d.stats().get(0).tps(), "global tps is the stats' tps");
            assertPercentiles(new long[] {100, 200, 300, 150}, tick.get(0).ttftMs());
            assertPercentiles(new long[] {500, 200, 500, 750}, tick.get(0).itlMs());
            assertPercentiles(new long[] {100, 200}, tick.get(1).ttftMs());
            assertPercentiles(new long[] {100, 300}, tick.get(3).ttftMs());
        }
    }

    /** Four streams: a/x, a/y, b/x and one without labels, all in the first second. */
    private static void scenario(MeteringDriver d) {
        d.begin("s1", T0, "a", "x").begin("s2", T0, "a", "y").begin("s3", T0, "b", "x").begin("s4", T0)
                .output("s1", T0 + 100, 1).output("s4", T0 + 150, 1).output("s2", T0 + 200, 1).output("s3", T0 + 300, 2)
                .output("s2", T0 + 400, 5).output("s1", T0 + 600, 11).output("s3", T0 + 800, 4).output("s4", T0 + 900, 9)
                .end("s2", T0 + 1_500)
                .tickTo(T0 + 3_000);
    }

    @Test
    void startedAndEndedCountBeginsAndEndsAppliedInTheLastMinute() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0, "m", null).output("s1", T0 + 100, 1).end("s1", T0 + 1_500)
                    .begin("s2", T0 + 2_000, "m", null).output("s2", T0 + 2_100, 1).tickTo(T0 + 62_000);
            List<Insight> all = d.insights();
            assertEquals(List.of(2L, 1L), List.of(at(all, T0 + 3_000, "model:m").started(), at(all, T0 + 3_000, "model:m").ended()));
            assertEquals(List.of(2L, 1L), List.of(at(all, T0 + 60_000, "global").started(), at(all, T0 + 60_000, "global").ended()));
            assertEquals(List.of(1L, 1L), List.of(at(all, T0 + 61_000, "global").started(), at(all, T0 + 61_000, "global").ended()),
                    "s1's begin (received at T0) left the window; its end (T0 + 1.5 s) and s2's begin (T0 + 2 s) are in");
            assertEquals(List.of(0L, 0L), List.of(at(all, T0 + 62_000, "global").started(), at(all, T0 + 62_000, "global").ended()));
            assertEquals(1, at(all, T0 + 62_000, "model:m").active());
        }
    }

    @Test
    void aGroupWithNoLiveSessionAndNothingInTheLastMinutePublishesOneIdleRecordThenNothing() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0, "a", null).begin("s2", T0, "b", null).output("s1", T0 + 100, 1).output("s2", T0 + 100, 1)
                    .end("s1", T0 + 500).output("s2", T0 + 30_000, 2).output("s2", T0 + 60_000, 3).tickTo(T0 + 62_000);
            List<Insight> all = d.insights();
            Insight last = at(all, T0 + 60_000, "model:a");
            assertEquals(new Insight(T0 + 60_000, MODEL, "a", 0, null, 0.0, null, null, null, 1, 1), figures(last),
                    "ended, but its minute is not over");
            assertEquals(new Insight(T0 + 61_000, MODEL, "a", 0, null, 0.0, null, null, null, 0, 0), at(all, T0 + 61_000, "model:a"),
                    "nothing live, nothing in the last minute: its idle record");
            assertNull(at(all, T0 + 62_000, "model:a"), "then nothing");
            assertEquals(1, at(all, T0 + 61_000, "model:b").active());
            assertEquals(1, at(all, T0 + 62_000, "model:b").active());
        }
    }

    @Test
    void insightsGoOutOnTheStatsTicksAndEachGroupEndsWithAnIdleRecord() {
        try (MeteringDriver d = new MeteringDriver()) {
            // one output delta: no TPOT when it goes stale (a TPOT, like an end, would hold the windows a minute longer)
            d.begin("s1", T0, "m", "t").output("s1", T0 + 900, 9).tickTo(T0 + 70_000);
            List<Stats> emitted = d.stats();
            List<Long> statsTicks = emitted.stream().map(Stats::ts).toList();
            List<Insight> all = d.insights();
            assertEquals(statsTicks, all.stream().filter(i -> i.group() == GLOBAL).map(Insight::ts).toList());
            assertEquals(T0 + 61_000, statsTicks.get(statsTicks.size() - 1), "the idle tick: s1 pruned as stale");
            Stats idle = emitted.get(emitted.size() - 1);
            assertNull(idle.tps(), "the idle tick has no reading");
            assertFalse(idle.tpsAvailable());
            assertEquals(List.of(
                    new Insight(T0 + 61_000, GLOBAL, null, 0, null, 0.0, null, null, null, 0, 0),
                    new Insight(T0 + 61_000, MODEL, "m", 0, null, 0.0, null, null, null, 0, 0),
                    new Insight(T0 + 61_000, TENANT, "t", 0, null, 0.0, null, null, null, 0, 0)),
                    all.stream().filter(i -> i.ts() >= T0 + 61_000).toList(), "the idle records, then nothing");
        }
    }

    /**
     * Three streams of model m at 20 tokens/s (2 tokens every 100 ms) begin at T0 and end together at T0 + 5 s: the
     * stats publish their idle record at T0 + 5 s; the insights go on while their windows hold anything.
     * Every tick's second of tokens is 60 (3 x 20), in the partials of T0 + 1 s to T0 + 5 s, so system_tps is 300 / 10
     * until T0 + 10 s and loses 6.0 a second from T0 + 11 s; the begins and first deltas (in the partial of T0 + 1 s)
     * leave the 60-s window at T0 + 61 s, the gaps of each later second one a second after, the ends (T0 + 5 s) at
     * T0 + 65 s: then one idle record per group, and nothing more.
     */
    @Test
    void afterTheLastStreamEndsTheInsightsRunDownToZeroThenPublishOneIdleRecordAndStop() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0, "m", null).begin("s2", T0, "m", null).begin("s3", T0, "m", null);
            for (int k = 1; k <= 50; k++) {
                for (String s : List.of("s1", "s2", "s3")) {
                    d.output(s, T0 + 100L * k, 2L * k);
                }
            }
            d.end("s1", T0 + 5_000).end("s2", T0 + 5_000).end("s3", T0 + 5_000).tickTo(T0 + 130_000);

            List<Stats> stats = d.stats();
            assertEquals(T0 + 5_000, stats.get(stats.size() - 1).ts(), "the stats' idle record");
            assertEquals(List.of(false, 0L), List.of(stats.get(stats.size() - 1).tpsAvailable(), stats.get(stats.size() - 1).active()));

            List<Insight> all = d.insights();
            List<Long> ticks = all.stream().filter(i -> i.group() == GLOBAL).map(Insight::ts).toList();
            assertEquals(java.util.stream.LongStream.rangeClosed(1, 65).mapToObj(k -> T0 + 1_000 * k).toList(), ticks,
                    "a global record at every tick through T0 + 65 s, none after");
            assertEquals(List.of(30.0, 30.0, 30.0, 30.0, 30.0, 30.0, 24.0, 18.0, 12.0, 6.0, 0.0, 0.0),
                    java.util.stream.LongStream.rangeClosed(5, 16).mapToObj(k -> at(all, T0 + 1_000 * k, "global").systemTps()).toList());
            for (String key : List.of("global", "model:m")) {
                Insight.Group group = key.equals("global") ? GLOBAL : MODEL;
                String name = key.equals("global") ? null : "m";
                for (int k = 15; k <= 60; k++) {
                    Insight i = at(all, T0 + 1_000L * k, key);
                    assertEquals(new Insight(T0 + 1_000L * k, group, name, 0, null, 0.0, null, null, null, 3, 3), figures(i), "T0 + " + k + " s");
                    assertPercentiles(new long[] {100, 100, 100}, i.ttftMs());
                    long[] gaps = new long[147]; // 49 gaps of 100 ms a stream
                    Arrays.fill(gaps, 100);
                    assertPercentiles(gaps, i.itlMs());
                }
                for (int k = 61; k <= 64; k++) {
                    Insight i = at(all, T0 + 1_000L * k, key);
                    assertEquals(new Insight(T0 + 1_000L * k, group, name, 0, null, 0.0, null, null, null, 0, 3), figures(i), "T0 + " + k + " s");
                    assertNull(i.ttftMs());
                    assertEquals(30L * (65 - k), i.itlMs().count(), "10 gaps a stream in each second still in the window");
                }
                assertEquals(new Insight(T0 + 65_000, group, name, 0, null, 0.0, null, null, null, 0, 0), at(all, T0 + 65_000, key),
                        "the idle record");
            }
            assertEquals(List.of("global", "model:m"), all.stream().filter(i -> i.ts() == T0 + 65_000).map(Insight::key).toList());
            assertEquals(T0 + 65_000, all.get(all.size() - 1).ts(), "nothing after the idle record");
        }
    }

    @Test
    void labelsBeyondTheBoundAreFoldedIntoOtherAndCounted() {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.INSIGHTS_MAX_LABELS, "2"));
        try (MeteringDriver d = new MeteringDriver(config)) {
            d.begin("s1", T0, "a", null).begin("s2", T0, "b", null).begin("s3", T0, "c", null).begin("s4", T0, "d", null)
                    .output("s3", T0 + 100, 1).tickTo(T0 + 1_000);
            List<Insight> tick = d.insights();
            assertEquals(List.of("global", "model:a", "model:b", "model:other"), tick.stream().map(Insight::key).toList());
            assertEquals(2, tick.get(3).active());
            assertEquals(1, tick.get(3).ttftMs().count());
            assertEquals(2, d.counter(MeteringMetrics.FOLDED_LABELS));
        }
    }

    /** Key, active, system_tps, started and ended of each record of {@code tick}, in order. */
    private static List<String> counts(List<Insight> all, long tick) {
        return all.stream().filter(i -> i.ts() == tick)
                .map(i -> i.key() + " active=" + i.active() + " system_tps=" + i.systemTps() + " started=" + i.started() + " ended=" + i.ended())
                .toList();
    }

    /**
     * With one label slot: b runs (3 tokens) and ends; a begins once the task has let b's tally go (4 tokens); then a
     * new b stream (5 tokens). b keeps its slot (its begin and end are in the last minute), so the new b stream is
     * b's and a is the one folded; a's refusal is counted once, not at every tick it stays folded.
     */
    @Test
    void aLabelKeepsItsSlotWhileAnythingOfItIsInTheWindowsAndAllItsStreamsCountInItsGroup() {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.INSIGHTS_MAX_LABELS, "1"));
        try (MeteringDriver d = new MeteringDriver(config)) {
            d.begin("b1", T0, "b", null).output("b1", T0 + 100, 1).output("b1", T0 + 600, 3).end("b1", T0 + 1_500)
                    .begin("a1", T0 + 3_500, "a", null).output("a1", T0 + 3_600, 2).output("a1", T0 + 4_100, 4)
                    .begin("b2", T0 + 4_500, "b", null).output("b2", T0 + 4_600, 1).output("b2", T0 + 4_800, 5)
                    .tickTo(T0 + 10_000);
            List<Insight> all = d.insights();
            assertEquals(List.of(
                    "global active=2 system_tps=1.2 started=3 ended=1",
                    "model:b active=1 system_tps=0.8 started=2 ended=1",
                    "model:other active=1 system_tps=0.4 started=1 ended=0"), counts(all, T0 + 5_000));
            assertEquals(List.of(
                    "global active=2 system_tps=1.2 started=3 ended=1",
                    "model:b active=1 system_tps=0.8 started=2 ended=1",
                    "model:other active=1 system_tps=0.4 started=1 ended=0"), counts(all, T0 + 10_000));
            assertEquals(1, d.counter(MeteringMetrics.FOLDED_LABELS), "a's admission refused once");
        }
    }

    @Test
    void aLabelNamedOtherIsPublishedApartFromTheFold() {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.INSIGHTS_MAX_LABELS, "1"));
        try (MeteringDriver d = new MeteringDriver(config)) {
            d.begin("o1", T0, "other", null).begin("x1", T0 + 100, "x", null).begin("x2", T0 + 200, "x", null)
                    .output("o1", T0 + 300, 1).output("x1", T0 + 300, 2).output("x2", T0 + 300, 3).tickTo(T0 + 1_000);
            List<Insight> all = d.insights();
            assertEquals(List.of(
                    "global active=3 system_tps=0.6 started=3 ended=0",
                    "model:*other active=1 system_tps=0.1 started=1 ended=0",
                    "model:other active=2 system_tps=0.5 started=2 ended=0"), counts(all, T0 + 1_000));
            assertEquals("*other", at(all, T0 + 1_000, "model:*other").name(), "the label other, escaped");
            assertEquals("other", at(all, T0 + 1_000, "model:other").name(), "the fold: x, which found the slot taken");
        }
    }

    /**
     * A session task keeps at most metering.insights.max.labels.per.task labels of a breakdown: a begin naming one
     * more is counted in that task's overflow, which the combiner adds to other, and in overflowed-sessions.
     */
    @Test
    void beyondItsOwnBoundASessionTaskCountsNewLabelsInOtherAndMetersThem() {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.INSIGHTS_MAX_LABELS, "1",
                MeteringConfig.INSIGHTS_MAX_LABELS_PER_TASK, "2"));
        try (MeteringDriver d = new MeteringDriver(config)) {
            d.begin("a1", T0, "a", null).begin("b1", T0 + 100, "b", null).begin("c1", T0 + 200, "c", null)
                    .begin("c2", T0 + 300, "c", null).output("a1", T0 + 400, 1).tickTo(T0 + 1_000);
            assertEquals(List.of(
                    "global active=4 system_tps=0.1 started=4 ended=0",
                    "model:a active=1 system_tps=0.1 started=1 ended=0",
                    "model:other active=3 system_tps=0.0 started=3 ended=0"), counts(d.insights(), T0 + 1_000));
            assertEquals(2, d.counter(MeteringMetrics.OVERFLOWED_SESSIONS), "c1 and c2: the task had a and b");
            assertEquals(1, d.counter(MeteringMetrics.FOLDED_LABELS), "b, refused by the combiner (c never reached it)");
        }
    }

    @Test
    void theEphemeralGraphGivesTheSameOutputsAsTheDurableOne() {
        List<List<?>> outputs = new ArrayList<>();
        for (MeteringTopology.Durability durability : MeteringTopology.Durability.values()) {
            try (MeteringDriver d = new MeteringDriver(MeteringConfig.defaults(), durability)) {
                scenario(d);
                d.tickTo(T0 + 70_000);
                outputs.add(List.of(d.stats(), d.streams(), d.insights().stream().map(OutputsOf::json).collect(Collectors.toList())));
            }
        }
        assertEquals(outputs.get(0), outputs.get(1));
        assertTrue(((List<?>) outputs.get(0).get(2)).size() > 60);
    }

    private static final class OutputsOf {
        static String json(Insight i) {
            return new String(Topics.INSIGHTS.serializeValue(i), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
