package dev.llmmeter.topology;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.Insight;
import dev.llmmeter.topology.processors.MeteringMetrics;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.llmmeter.topology.MeteringDriver.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Service level attainment and goodput in metering.insights, on hand-written streams at and around each objective.
 * Exactly at the objective counts as met.
 */
class SloInsightsTest {
    private static final Map<String, String> TTFT_500_TPOT_50 = Map.of(MeteringConfig.SLO_TTFT_MS, "500", MeteringConfig.SLO_TPOT_MS, "50");

    private static Insight at(List<Insight> all, long tick, String key) {
        return all.stream().filter(i -> i.ts() == tick && i.key().equals(key)).findFirst().orElse(null);
    }

    /** A stream begun at {@code begin}: its first output delta {@code ttft} ms later, then {@code tokens} output tokens, one every {@code tpot} ms. */
    private static void stream(MeteringDriver d, String id, String model, long begin, long ttft, long tokens, long tpot) {
        d.deliver(DeltaEvent.begin(id, begin, model, "t1"));
        if (tokens > 0) {
            d.deliver(DeltaEvent.output(id, begin + ttft, 1));
            if (tokens > 1) {
                d.deliver(DeltaEvent.output(id, begin + ttft + tpot * (tokens - 1), tokens));
            }
        }
        d.deliver(DeltaEvent.end(id, begin + ttft + tpot * tokens, tokens, 0));
    }

    /** Five streams ended in the second of tick T0 + 1 s, at and around TTFT 500 ms and TPOT 50 ms. */
    private static void aroundTheObjectives(MeteringDriver d, String model) {
        d.arriveAt(T0 + 100);
        stream(d, "at", model, T0 - 5_000, 500, 11, 50);    // both exactly at: met all, 11 tokens
        stream(d, "ttft+1", model, T0 - 5_000, 501, 11, 49); // TTFT missed by 1 ms: not all
        stream(d, "tpot+1", model, T0 - 5_000, 499, 11, 51); // TPOT missed by 1 ms: not all
        stream(d, "one", model, T0 - 5_000, 100, 1, 0);      // no TPOT (1 token): judged on TTFT alone, met all, 1 token
        stream(d, "none", model, T0 - 5_000, 0, 0, 0);       // no output at all: missed TTFT
    }

    @Test
    @DisplayName("attainment and goodput are exact over the streams that ended, a value exactly at its objective meeting it")
    void attainmentAndGoodputAroundTheObjectives() {
        try (MeteringDriver d = new MeteringDriver(MeteringConfig.fromMap(TTFT_500_TPOT_50))) {
            aroundTheObjectives(d, "m");
            d.tickTo(T0 + 1_000);
            Insight.Slo slo = at(d.insights(), T0 + 1_000, "global").slo();
            assertEquals(500.0, slo.ttftObjectiveMs());
            assertEquals(50.0, slo.tpotObjectiveMs());
            assertEquals(0.99, slo.target(), "the default target");
            assertEquals(new Insight.Attainment(5, 5, 3, 3, 2, 2, 0.6, 2 / 3.0, 0.4, 2 / 60.0, 12 / 60.0), slo.lastMinute());
            assertEquals(new Insight.Attainment(5, 5, 3, 3, 2, 2, 0.6, 2 / 3.0, 0.4, 2 / 3600.0, 12 / 3600.0), slo.lastHour());
        }
    }

    @Test
    void eachGroupCountsItsOwnStreamsAndAModelsOwnObjectiveOverridesTheDefault() {
        Map<String, String> settings = Map.of(MeteringConfig.SLO_TTFT_MS, "500", "metering.slo.ttft.ms.model.fast", "200");
        try (MeteringDriver d = new MeteringDriver(MeteringConfig.fromMap(settings))) {
            d.arriveAt(T0 + 100);
            stream(d, "f1", "fast", T0 - 5_000, 300, 3, 10); // over fast's 200
            stream(d, "f2", "fast", T0 - 5_000, 200, 3, 10); // at it
            stream(d, "s1", "slow", T0 - 5_000, 300, 3, 10); // under the default 500
            d.tickTo(T0 + 1_000);
            List<Insight> all = d.insights();
            Insight.Slo fast = at(all, T0 + 1_000, "model:fast").slo();
            assertEquals(200.0, fast.ttftObjectiveMs());
            assertNull(fast.tpotObjectiveMs());
            assertEquals(new Insight.Attainment(2, 2, 1, 0, 0, 1, 0.5, null, 0.5, 1 / 60.0, 3 / 60.0), fast.lastMinute());
            Insight.Slo slow = at(all, T0 + 1_000, "model:slow").slo();
            assertEquals(500.0, slow.ttftObjectiveMs());
            assertEquals(new Insight.Attainment(1, 1, 1, 0, 0, 1, 1.0, null, 1.0, 1 / 60.0, 3 / 60.0), slow.lastMinute());
            Insight.Attainment global = new Insight.Attainment(3, 3, 2, 0, 0, 2, 2 / 3.0, null, 2 / 3.0, 2 / 60.0, 6 / 60.0);
            assertEquals(global, at(all, T0 + 1_000, "global").slo().lastMinute());
            assertEquals(global, at(all, T0 + 1_000, "tenant:t1").slo().lastMinute());
            assertEquals(500.0, at(all, T0 + 1_000, "tenant:t1").slo().ttftObjectiveMs(), "a tenant's group has the defaults");
        }
    }

    @Test
    void withNoObjectiveSetNoRecordCarriesServiceLevelFigures() {
        try (MeteringDriver d = new MeteringDriver()) {
            aroundTheObjectives(d, "m");
            d.tickTo(T0 + 1_000);
            List<Insight> all = d.insights();
            assertTrue(all.size() >= 3);
            all.forEach(i -> assertNull(i.slo(), i.key()));
        }
    }

    @Test
    void withATpotObjectiveAloneStreamsWithoutTpotAreNotJudged() {
        try (MeteringDriver d = new MeteringDriver(MeteringConfig.fromMap(Map.of(MeteringConfig.SLO_TPOT_MS, "50")))) {
            aroundTheObjectives(d, "m");
            d.tickTo(T0 + 1_000);
            Insight.Slo slo = at(d.insights(), T0 + 1_000, "global").slo();
            assertNull(slo.ttftObjectiveMs());
            assertEquals(new Insight.Attainment(3, 0, 0, 3, 2, 2, null, 2 / 3.0, 2 / 3.0, 2 / 60.0, 22 / 60.0), slo.lastMinute());
        }
    }

    @Test
    void aStaleStreamIsJudgedWhenItLeavesOnItsOwnOutputCount() {
        try (MeteringDriver d = new MeteringDriver(MeteringConfig.fromMap(TTFT_500_TPOT_50))) {
            d.arriveAt(T0 + 100).deliver(DeltaEvent.begin("s", T0 - 1_000, "m", null))
                    .deliver(DeltaEvent.output("s", T0 - 600, 1)).deliver(DeltaEvent.output("s", T0 - 400, 5));
            d.tickTo(T0 + 62_000);
            Insight g = d.insights().stream().filter(i -> i.key().equals("global") && i.slo() != null
                    && i.slo().lastMinute().streams() > 0).findFirst().orElseThrow();
            assertEquals(new Insight.Attainment(1, 1, 1, 1, 1, 1, 1.0, 1.0, 1.0, 1 / 60.0, 5 / 60.0), g.slo().lastMinute(),
                    "TTFT 400 ms, TPOT 200 ms over 4 tokens");
        }
    }

    @Test
    void theMinuteForgetsAStreamAfter60SecondsAndTheHourWhenItsMinuteLeavesTheHour() {
        try (MeteringDriver d = new MeteringDriver(MeteringConfig.fromMap(TTFT_500_TPOT_50))) {
            aroundTheObjectives(d, "m");
            long bucket = Math.floorDiv(T0 + 1_000, 60_000) * 60_000;
            long lastTick = bucket + 3_599_000;
            // a stream that stays live (a delta every 30 s), so that an insights record goes out at every tick
            d.deliver(DeltaEvent.begin("k", T0));
            long n = 0;
            for (long t = T0 + 500; t <= lastTick + 1_000; t += 30_000) {
                d.output("k", t, ++n);
            }
            d.tickTo(lastTick + 1_000);
            List<Insight> all = d.insights();
            Insight.Attainment hour = new Insight.Attainment(5, 5, 3, 3, 2, 2, 0.6, 2 / 3.0, 0.4, 2 / 3600.0, 12 / 3600.0);
            Insight.Attainment none = new Insight.Attainment(0, 0, 0, 0, 0, 0, null, null, null, 0.0, 0.0);
            assertEquals(5, at(all, T0 + 60_000, "global").slo().lastMinute().streams());
            assertEquals(none, at(all, T0 + 61_000, "global").slo().lastMinute());
            assertEquals(hour, at(all, T0 + 61_000, "global").slo().lastHour());
            assertEquals(hour, at(all, lastTick, "global").slo().lastHour());
            assertEquals(none, at(all, lastTick + 1_000, "global").slo().lastHour());
        }
    }

    private static long folded(MeteringDriver d, String breakdown, String window) {
        return d.counter(MeteringMetrics.FOLDED_LABELS, Map.of(MeteringMetrics.BREAKDOWN_TAG, breakdown, MeteringMetrics.WINDOW_TAG, window));
    }

    /** Three models, two of them with a stream later in the same minute, under a bound of {@code maxLabels}. */
    private static MeteringDriver threeModels(String maxLabels) {
        Map<String, String> settings = Map.of(MeteringConfig.SLO_TTFT_MS, "500", MeteringConfig.INSIGHTS_MAX_LABELS, maxLabels);
        MeteringDriver d = new MeteringDriver(MeteringConfig.fromMap(settings));
        d.arriveAt(T0 + 100);
        stream(d, "a1", "a", T0 - 5_000, 100, 3, 10);
        stream(d, "b1", "b", T0 - 5_000, 100, 3, 10);
        stream(d, "c1", "c", T0 - 5_000, 100, 3, 10);
        d.tickTo(T0 + 1_000);
        d.arriveAt(T0 + 1_100);
        stream(d, "c2", "c", T0 - 4_000, 100, 3, 10);
        stream(d, "a2", "a", T0 - 4_000, 100, 3, 10);
        d.tickTo(T0 + 5_000);
        return d;
    }

    @Test
    @DisplayName("one model more than metering.insights.max.labels: that label is counted folded once from the groups and once from the hour's minute, whatever streams follow")
    void oneModelBeyondTheBoundIsCountedFoldedOnceFromTheGroupsAndOnceFromTheHour() {
        try (MeteringDriver d = threeModels("2")) {
            List<Insight> all = d.insights();
            assertEquals(List.of("global", "model:a", "model:b", "model:other", "tenant:t1"),
                    all.stream().filter(i -> i.ts() == T0 + 1_000).map(Insight::key).toList());
            assertEquals(2, at(all, T0 + 5_000, "model:other").slo().lastHour().streams(), "c1 and c2");
            assertEquals(1, folded(d, "model", "minute"));
            assertEquals(1, folded(d, "model", "hour"));
            assertEquals(0, folded(d, "tenant", "minute"));
            assertEquals(0, folded(d, "tenant", "hour"));
        }
    }

    @Test
    @DisplayName("exactly metering.insights.max.labels models: nothing is folded or counted")
    void exactlyTheBoundOfModelsFoldsNothing() {
        try (MeteringDriver d = threeModels("3")) {
            assertEquals(List.of("global", "model:a", "model:b", "model:c", "tenant:t1"),
                    d.insights().stream().filter(i -> i.ts() == T0 + 1_000).map(Insight::key).toList());
            assertEquals(0, d.counter(MeteringMetrics.FOLDED_LABELS));
        }
    }

    @Test
    void aBadObjectiveIsRefusedNamingTheSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MeteringConfig.fromMap(Map.of("metering.slo.tpot.ms.model.llama", "-3")));
        assertEquals("Invalid value -3 for configuration metering.slo.tpot.ms.model.llama: must be a positive number of milliseconds",
                e.getMessage());
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class,
                () -> MeteringConfig.fromMap(Map.of(MeteringConfig.SLO_TTFT_MS, "0")));
        assertEquals("Invalid value 0.0 for configuration metering.slo.ttft.ms: must be a positive number of milliseconds",
                f.getMessage());
    }
}
