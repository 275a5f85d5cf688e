package dev.llmmeter.topology;

import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.topology.processors.MeteringMetrics;
import dev.llmmeter.topology.state.Session;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.llmmeter.topology.MeteringDriver.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The seed's rules, one by one, on the production topology in a TopologyTestDriver. */
class MeteringTopologyTest {

    static Stats stats(Double tps, Double high, Double low, long active, long ts) {
        return new Stats(tps, tps != null, false, high, low, active, ts);
    }

    /** s1: first delta at T0+1s, 21 tokens by T0+3s: 10.5 tokens/s from the third tick on. */
    private static void steadyStream(MeteringDriver d) {
        d.begin("s1", T0).output("s1", T0 + 1000, 1).tickTo(T0 + 2000).output("s1", T0 + 3000, 21);
    }

    @Test
    @DisplayName("stats are emitted at every whole second while a stream has recent deltas, keyed 'global', timestamped with the tick")
    void statsAreEmittedEverySecondWhileAStreamIsActive() {
        try (MeteringDriver d = new MeteringDriver()) {
            steadyStream(d);
            d.tickTo(T0 + 4000);
            List<TestRecord<String, Stats>> records = d.statsRecords();
            assertEquals(List.of(
                    stats(null, null, null, 1, T0 + 1000),
                    stats(null, null, null, 1, T0 + 2000),
                    stats(10.5, 10.5, 10.5, 1, T0 + 3000),
                    stats(10.5, 10.5, 10.5, 1, T0 + 4000)), records.stream().map(TestRecord::value).toList());
            for (TestRecord<String, Stats> r : records) {
                assertEquals(Topics.STATS_KEY, r.key());
                assertEquals(r.value().ts(), r.timestamp());
            }
        }
    }

    /**
     * The seed adds the rates left to right in the order of the begins: 2^53 + 1 rounds back to 2^53, twice, and
     * the mean is 2^53 / 3. The task sums them exactly, 2^53 + 2, rounded once: the mean published differs from the
     * seed's by one unit in its last place, which at this size (past 2^50 tokens/s, where the double's step is 0.125
     * or more) one decimal shows. docs/semantics.md, Deviations.
     */
    @Test
    void ratesAreSummedExactlySoAMeanPastTwoToTheFiftyCanDifferFromTheSeedsInItsLastBits() {
        try (MeteringDriver d = new MeteringDriver()) {
            long big = 1L << 53;
            d.begin("a", T0).begin("b", T0).begin("c", T0)
                    .output("a", T0 + 1000, 0).output("b", T0 + 1000, 0).output("c", T0 + 1000, 0)
                    .output("a", T0 + 2000, big).output("b", T0 + 2000, 1).output("c", T0 + 2000, 1)
                    .tickTo(T0 + 3000);
            double seeds = ((double) big + 1.0 + 1.0) / 3;
            assertEquals(3002399751580330.5, PythonRound.oneDecimal(seeds), "the seed's round(sum(active_tps) / 3, 1)");
            double published = 3002399751580331.5; // math.fsum(active_tps) / 3, rounded to one decimal
            List<Stats> stats = d.stats();
            assertEquals(stats(published, published, published, 3, T0 + 3000), stats.get(stats.size() - 1));
        }
    }

    @Test
    void nothingIsEmittedBeforeTheFirstDelta() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0).tickSeconds(30);
            assertEquals(List.of(), d.stats());
        }
    }

    @Test
    void staleSessionIsPrunedAfterSixtySecondsAndNotBefore() {
        try (MeteringDriver d = new MeteringDriver()) {
            steadyStream(d); // last delta at T0+3s
            d.tickTo(T0 + 62_000).stats();
            d.tickTo(T0 + 63_000); // exactly 60 s after the last delta: still live
            assertEquals(List.of(stats(10.5, 10.5, 10.5, 1, T0 + 63_000)), d.stats());
            assertEquals(List.of("s1"), d.sessionIds());
            d.tickTo(T0 + 64_000); // 61 s: pruned
            assertEquals(List.of(stats(null, 10.5, 10.5, 0, T0 + 64_000)), d.stats());
            assertNull(d.session("s1"));
            assertEquals(1, d.counter(MeteringMetrics.STALE_SESSIONS));
        }
    }

    @Test
    void oneIdleRecordFollowsTheLastActiveTickThenNothing() {
        try (MeteringDriver d = new MeteringDriver()) {
            steadyStream(d);
            d.tickTo(T0 + 63_000).stats();
            d.tickTo(T0 + 200_000);
            assertEquals(List.of(stats(null, 10.5, 10.5, 0, T0 + 64_000)), d.stats());
        }
    }

    @Test
    void endedStreamLeavesOneIdleRecordWithItsReadingsInHighLow() {
        try (MeteringDriver d = new MeteringDriver()) {
            steadyStream(d);
            d.tickTo(T0 + 3000).stats();
            d.end("s1", T0 + 3500).tickTo(T0 + 10_000);
            assertEquals(List.of(stats(null, 10.5, 10.5, 0, T0 + 4000)), d.stats());
            assertNull(d.session("s1"));
        }
    }

    @Test
    void activityAfterIdleResumesEmission() {
        try (MeteringDriver d = new MeteringDriver()) {
            steadyStream(d);
            d.tickTo(T0 + 3000).end("s1", T0 + 3500).tickTo(T0 + 20_000).stats();
            d.begin("s2", T0 + 20_500).output("s2", T0 + 21_000, 1).tickTo(T0 + 21_000);
            d.output("s2", T0 + 22_000, 31).tickTo(T0 + 22_000);
            assertEquals(List.of(stats(null, 10.5, 10.5, 1, T0 + 21_000), stats(31.0, 31.0, 10.5, 1, T0 + 22_000)), d.stats());
        }
    }

    @Test
    void globalTpsIsTheMeanOverStreamsWithAReading() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("a", T0).begin("b", T0).begin("c", T0).begin("waiting", T0);
            d.output("a", T0 + 1000, 1).output("b", T0 + 1000, 1).output("c", T0 + 1000, 1);
            d.output("a", T0 + 3000, 20).reasoning("b", T0 + 3000, 60); // a: 10/s, b: 61 tokens / 2 s
            d.tickTo(T0 + 3000);
            // c has a single delta time (no rate yet), "waiting" none: both count in active only.
            List<Stats> out = d.stats();
            assertEquals(stats(20.2, 20.2, 20.2, 4, T0 + 3000), out.get(out.size() - 1)); // (10 + 30.5) / 2 = 20.25 -> 20.2
        }
    }

    @Test
    void tpsCountsOutputAndReasoningTogether() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0).reasoning("s1", T0 + 1000, 10).reasoning("s1", T0 + 2000, 30)
                    .output("s1", T0 + 3000, 10).tickTo(T0 + 3000);
            List<Stats> out = d.stats();
            // (30 + 10) / 2 s; the tick at T0+2s saw 30 reasoning deltas in 1 s: high 30
            assertEquals(stats(20.0, 30.0, 20.0, 1, T0 + 3000), out.get(out.size() - 1));
        }
    }

    @Test
    void tpsHighAndLowAreRoundedHalfToEvenLikePython() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0).output("s1", T0 + 1000, 1).tickTo(T0 + 4000).stats();
            d.output("s1", T0 + 5000, 41).tickTo(T0 + 5000);
            assertEquals(List.of(stats(10.2, 10.2, 10.2, 1, T0 + 5000)), d.stats()); // 41 / 4 s = 10.25
            d.output("s1", T0 + 5000, 43).tickTo(T0 + 6000);
            assertEquals(List.of(stats(10.8, 10.8, 10.2, 1, T0 + 6000)), d.stats()); // 43 / 4 s = 10.75
            assertEquals(List.of(10.25, 10.75), readingValues(d));
        }
    }

    private static List<Double> readingValues(MeteringDriver d) {
        List<Double> values = new java.util.ArrayList<>();
        try (var it = d.readings().all()) {
            it.forEachRemaining(kv -> values.add(kv.value));
        }
        return values;
    }

    @Test
    void readingsBelowOneAreRecordedButLeftOutOfHighAndLow() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0).output("s1", T0 + 1000, 1).tickTo(T0 + 4000).stats();
            d.output("s1", T0 + 5000, 2).tickTo(T0 + 5000);
            assertEquals(List.of(stats(0.5, null, null, 1, T0 + 5000)), d.stats());
            assertEquals(List.of(0.5), readingValues(d));
        }
    }

    @Test
    void highAndLowForgetReadingsOlderThanAnHour() {
        try (MeteringDriver d = new MeteringDriver()) {
            // a: 60 tokens / 2 s = 30/s, read at ticks T0+3s .. T0+63s, then stale.
            d.begin("a", T0).output("a", T0 + 1000, 1).output("a", T0 + 3000, 60).tickTo(T0 + 70_000);
            // b, 50 minutes later: 10 tokens / 2 s = 5/s.
            long b = T0 + 3_000_000;
            d.begin("b", b).output("b", b + 1000, 1).output("b", b + 3000, 10).tickTo(b + 3000);
            List<Stats> out = d.stats();
            assertEquals(stats(5.0, 30.0, 5.0, 1, b + 3000), out.get(out.size() - 1));
            // c: 8 tokens / 2 s = 4/s, live across the hour boundary of a's last reading (T0+63s).
            long c = T0 + 3_650_000;
            d.begin("c", c).output("c", c + 1000, 1).output("c", c + 3000, 8).tickTo(T0 + 3_661_000).stats();
            d.tickTo(T0 + 3_662_000); // cutoff T0+62s: a's reading at T0+63s is still inside
            assertEquals(List.of(stats(4.0, 30.0, 4.0, 1, T0 + 3_662_000)), d.stats());
            d.tickTo(T0 + 3_663_000); // cutoff T0+63s: readings at or before it are gone
            assertEquals(List.of(stats(4.0, 5.0, 4.0, 1, T0 + 3_663_000)), d.stats());
        }
    }

    @Test
    void beginReplacesALiveSession() {
        try (MeteringDriver d = new MeteringDriver()) {
            steadyStream(d);
            d.tickTo(T0 + 3000).stats();
            d.begin("s1", T0 + 3500).tickTo(T0 + 4000);
            // The new session has no delta yet: not recent, so this is the idle record; still live.
            assertEquals(List.of(stats(null, 10.5, 10.5, 1, T0 + 4000)), d.stats());
            Session s = d.session("s1");
            assertEquals(T0 + 3500, s.beginTs());
            assertEquals(0, s.outputTokens());
            d.output("s1", T0 + 5000, 1).tickTo(T0 + 5000);
            assertEquals(List.of(stats(null, 10.5, 10.5, 1, T0 + 5000)), d.stats());
        }
    }

    @Test
    void deltasForUnknownStreamsAreIgnoredAndCounted() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.output("never-begun", T0 + 500, 5);
            d.begin("s1", T0).output("s1", T0 + 600, 1).end("s1", T0 + 700).output("s1", T0 + 800, 2);
            d.end("never-begun", T0 + 900); // a no-op
            d.tickSeconds(5);
            assertEquals(List.of(), d.stats());
            assertEquals(2, d.counter(MeteringMetrics.UNKNOWN_STREAM_DELTAS));
            assertNull(d.session("s1"));
        }
    }

    @Test
    void outOfOrderDeltasAreIgnoredAndCounted() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0).output("s1", T0 + 1000, 5).output("s1", T0 + 2000, 8);
            d.output("s1", T0 + 2500, 3);   // running went back
            d.output("s1", T0 + 1500, 9);   // earlier than the last delta
            d.reasoning("s1", T0 + 1999, 4); // earlier than the last delta, though a new kind
            d.reasoning("s1", T0 + 3000, 2); // a lower count than output's is fine: counts are per kind
            d.output("s1", T0 + 3000, 8);   // a duplicate of the running count: harmless
            d.tickTo(T0 + 3000);
            assertEquals(3, d.counter(MeteringMetrics.OUT_OF_ORDER_DELTAS));
            Session s = d.session("s1");
            assertEquals(8, s.outputTokens());
            assertEquals(2, s.reasoningTokens());
            assertEquals(T0 + 1000, s.firstDeltaTs());
            assertEquals(T0 + 3000, s.lastDeltaTs());
            List<Stats> out = d.stats();
            // 10 tokens / 2 s; the tick at T0+2s saw 8 in 1 s: high 8
            assertEquals(stats(5.0, 8.0, 5.0, 1, T0 + 3000), out.get(out.size() - 1));
        }
    }

    @Test
    void sessionWithoutDeltasExpiresSixHundredSecondsAfterBegin() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("silent", T0).begin("busy", T0);
            for (int i = 1; i <= 19; i++) { // busy: one delta every 30 s keeps it live and the stats flowing
                d.output("busy", T0 + i * 30_000L, i);
                d.tickTo(T0 + i * 30_000L);
            }
            d.output("busy", T0 + 595_000, 20).tickTo(T0 + 599_000).stats();
            d.tickTo(T0 + 600_000); // exactly 600 s: still live
            assertEquals(2, d.stats().get(0).active());
            d.tickTo(T0 + 601_000);
            assertEquals(1, d.stats().get(0).active());
            assertNull(d.session("silent"));
            assertEquals(1, d.counter(MeteringMetrics.EXPIRED_BEGINS));
        }
    }

    @Test
    void missingTsFallsBackToTheRecordTimestamp() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.sendRaw("s1", "{\"type\":\"begin\",\"stream_id\":\"s1\"}", T0);
            d.sendRaw("s1", "{\"type\":\"output\",\"stream_id\":\"s1\",\"running\":1}", T0 + 1000);
            d.sendRaw("s1", "{\"type\":\"output\",\"stream_id\":\"s1\",\"running\":41,\"ts\":null}", T0 + 3000);
            d.tickTo(T0 + 3000);
            Session s = d.session("s1");
            assertEquals(T0, s.beginTs());
            assertEquals(T0 + 1000, s.firstDeltaTs());
            assertEquals(T0 + 3000, s.lastDeltaTs());
            List<Stats> out = d.stats();
            assertEquals(stats(20.5, 20.5, 20.5, 1, T0 + 3000), out.get(out.size() - 1));
        }
    }

    @Test
    void eventTimeNotArrivalTimeDrivesTheRate() {
        try (MeteringDriver d = new MeteringDriver()) {
            // A producer's batch arrives late and all at once: the rate is still 10 tokens over 2 s.
            d.begin("s1", T0).output("s1", T0 + 1000, 1).output("s1", T0 + 2000, 5).output("s1", T0 + 3000, 10);
            d.tickTo(T0 + 9000);
            List<Stats> out = d.stats();
            assertEquals(stats(5.0, 5.0, 5.0, 1, T0 + 9000), out.get(out.size() - 1));
        }
    }

    @Test
    void windowsAreConfigurable() {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.STALE_MS, "10000",
                MeteringConfig.BEGIN_EXPIRY_MS, "5000"));
        try (MeteringDriver d = new MeteringDriver(config)) {
            d.begin("silent", T0);
            steadyStream(d);
            d.tickTo(T0 + 13_000).stats(); // s1's last delta at T0+3s: 10 s later still live
            d.tickTo(T0 + 14_000);
            assertEquals(List.of(stats(null, 10.5, 10.5, 0, T0 + 14_000)), d.stats());
            assertEquals(1, d.counter(MeteringMetrics.EXPIRED_BEGINS)); // silent: gone after 5 s
        }
    }

    /**
     * Task idling is off ({@link MeteringTopology#streamsProperties}) because it cannot matter here: a task reads one
     * partition of each source topic of its sub-topology, and every sub-topology has one source topic.
     */
    @Test
    void everySubTopologyReadsOneTopicSoTaskIdlingIsOff() {
        TopologyDescription description = MeteringTopology.build(MeteringConfig.defaults()).describe();
        assertEquals(3, description.subtopologies().size(), "the session tasks, the combiner and the usage ledger");
        for (TopologyDescription.Subtopology sub : description.subtopologies()) {
            List<String> topics = sub.nodes().stream()
                    .filter(n -> n instanceof TopologyDescription.Source)
                    .flatMap(n -> ((TopologyDescription.Source) n).topicSet().stream())
                    .toList();
            assertEquals(1, topics.size(), "sub-topology " + sub.id() + " reads " + topics);
        }
        assertEquals(String.valueOf(StreamsConfig.MAX_TASK_IDLE_MS_DISABLED),
                MeteringTopology.streamsProperties(MeteringConfig.defaults()).getProperty(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG));
    }
}
