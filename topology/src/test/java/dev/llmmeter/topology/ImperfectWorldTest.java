package dev.llmmeter.topology;

import dev.llmmeter.contract.DeadLetterHeaders;
import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.topology.processors.MeteringMetrics;
import dev.llmmeter.topology.state.Session;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static dev.llmmeter.topology.MeteringDriver.T0;
import static dev.llmmeter.topology.MeteringDriver.header;
import static dev.llmmeter.topology.MeteringTopologyTest.stats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The topology when the world is not healthy: producers with wrong clocks, redelivered begins, a flood of
 * begins, counts past 2^63. The wall clock (the meter's, {@code arriveAt}/{@code tickTo}) is driven apart from
 * the events' own {@code ts} ({@code deliver} sends at the current wall clock whatever the ts says).
 */
class ImperfectWorldTest {
    private static final long MINUTE = 60_000;

    /** A stream whose producer's clock is {@code skewMs} off: 10 deltas a second for {@code seconds} s of meter time. */
    private static void skewedStream(MeteringDriver d, String id, long skewMs, long from, int seconds) {
        d.arriveAt(from).deliver(DeltaEvent.begin(id, from + skewMs));
        for (int i = 1; i <= seconds * 10; i++) {
            long at = from + i * 100L;
            d.arriveAt(at).deliver(DeltaEvent.output(id, at + skewMs, i));
        }
    }

    @Test
    void aProducerNinetySecondsBehindIsMeteredNotPrunedOnArrival() {
        try (MeteringDriver d = new MeteringDriver()) {
            skewedStream(d, "late-clock", -90_000, T0, 5); // deltas 100 ms apart in its own time: 10/s
            d.tickTo(T0 + 5000);
            // 50 tokens / 4.9 s; the first tick saw 10 / 0.9 s
            assertEquals(stats(10.2, 11.1, 10.2, 1, T0 + 5000), last(d.stats()));
            assertEquals(0, d.counter(MeteringMetrics.STALE_SESSIONS));
        }
    }

    @Test
    void aProducerThirtySecondsAheadGoesStaleSixtySecondsAfterItsLastArrival() {
        try (MeteringDriver d = new MeteringDriver()) {
            skewedStream(d, "early-clock", 30_000, T0, 2); // last delta arrives at T0+2000, dated T0+32000
            d.tickTo(T0 + 62_000);
            assertEquals(1, last(d.stats()).active());
            d.tickTo(T0 + 63_000); // 61 s after its last arrival: stale, whatever its ts says
            assertEquals(stats(null, 11.1, 10.5, 0, T0 + 63_000), last(d.stats()));
            assertEquals(1, d.counter(MeteringMetrics.STALE_SESSIONS));
        }
    }

    @Test
    void aBeginFromAProducerAnHourBehindExpiresSixHundredSecondsAfterItArrived() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.arriveAt(T0 + 500).deliver(DeltaEvent.begin("waiting", T0 - 3_600_000));
            d.tickTo(T0 + 600_000);
            assertEquals(List.of("waiting"), d.sessionIds());
            d.tickTo(T0 + 601_000); // 600.5 s after it arrived
            assertEquals(List.of(), d.sessionIds());
            assertEquals(1, d.counter(MeteringMetrics.EXPIRED_BEGINS));
        }
    }

    @Test
    void anEventMoreThanFiveMinutesAheadOfTheWallClockIsDeadLetteredAndChangesNothing() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0).output("s1", T0 + 1000, 10);
            long wall = d.wallClock();
            String future = "{\"type\":\"output\",\"stream_id\":\"s1\",\"ts\":" + (wall + 300_001) + ",\"running\":20}";
            d.sendRaw("s1", future, wall);
            List<TestRecord<byte[], byte[]>> dead = d.deadLetters();
            assertEquals(1, dead.size());
            assertArrayEquals(future.getBytes(StandardCharsets.UTF_8), dead.get(0).value());
            assertEquals("future_ts", header(dead.get(0), DeadLetterHeaders.REASON));
            assertEquals("ts " + (wall + 300_001) + " (2026-09-21T14:18:21.001Z) is 300001 ms ahead of the meter's clock "
                    + "(2026-09-21T14:13:21Z); at most 300000 ms ahead is accepted (metering.max.future.ms)",
                    header(dead.get(0), DeadLetterHeaders.DETAIL));
            Session s = d.session("s1");
            assertEquals(10, s.outputTokens());
            assertEquals(T0 + 1000, s.lastDeltaTs());
            d.output("s1", T0 + 2000, 20); // the stream goes on: nothing was pinned
            d.tickTo(T0 + 2000);
            assertEquals(stats(20.0, 20.0, 20.0, 1, T0 + 2000), last(d.stats()));
        }
    }

    @Test
    void anEventExactlyFiveMinutesAheadIsAccepted() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.deliver(DeltaEvent.begin("s1", T0 + 300_000));
            assertEquals(List.of(), d.deadLetters());
            assertEquals(List.of("s1"), d.sessionIds());
        }
    }

    @Test
    void aBeginWithoutTsIsJudgedByItsRecordTimestamp() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.sendRaw("s1", "{\"type\":\"begin\",\"stream_id\":\"s1\"}", 4_102_444_800_000L); // 2100
            assertEquals("record timestamp (no ts) 4102444800000 (2100-01-01T00:00:00Z) is 2312444800000 ms ahead of the "
                            + "meter's clock (2026-09-21T14:13:20Z); at most 300000 ms ahead is accepted (metering.max.future.ms)",
                    header(d.deadLetters().get(0), DeadLetterHeaders.DETAIL));
            assertEquals(List.of(), d.sessionIds());
        }
    }

    @Test
    void aRedeliveredBeginDoesNotResetARunningStream() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0).output("s1", T0 + 1000, 10).output("s1", T0 + 3000, 50);
            d.deliver(DeltaEvent.begin("s1", T0));        // the same begin again
            d.deliver(DeltaEvent.begin("s1", T0 - 1000)); // an older one
            d.output("s1", T0 + 3010, 51);
            d.tickTo(T0 + 4000);
            // 51 tokens over 2.01 s; a reset would have made it 51 / 0.01 s = 5100
            assertEquals(stats(25.4, 25.4, 25.0, 1, T0 + 4000), last(d.stats()));
            assertEquals(2, d.counter(MeteringMetrics.DUPLICATE_BEGINS));
        }
    }

    @Test
    void aLaterBeginStillRestartsTheStreamAsInTheSeed() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0).output("s1", T0 + 1000, 10).output("s1", T0 + 2000, 20);
            d.begin("s1", T0 + 2500).output("s1", T0 + 3000, 1).output("s1", T0 + 4000, 5);
            d.tickTo(T0 + 4000);
            assertEquals(stats(5.0, 20.0, 5.0, 1, T0 + 4000), last(d.stats()));
            assertEquals(0, d.counter(MeteringMetrics.DUPLICATE_BEGINS));
        }
    }

    @Test
    void atTheSessionCapTheOldestBeginOnlySessionIsEvictedFirst() {
        MeteringConfig capped = MeteringConfig.fromMap(Map.of(MeteringConfig.MAX_SESSIONS_PER_TASK, "3"));
        try (MeteringDriver d = new MeteringDriver(capped)) {
            d.begin("fed", T0).begin("idle-1", T0 + 1).begin("idle-2", T0 + 2).output("fed", T0 + 10, 1);
            d.begin("new-1", T0 + 20); // evicts idle-1, the oldest that never got a delta
            assertEquals(List.of("fed", "idle-2", "new-1"), sorted(d.sessionIds()));
            d.begin("new-2", T0 + 30).begin("new-3", T0 + 40); // idle-2, then new-1
            assertEquals(List.of("fed", "new-2", "new-3"), sorted(d.sessionIds()));
            d.output("new-2", T0 + 50, 1).output("new-3", T0 + 60, 1);
            d.begin("new-4", T0 + 70); // none waits for a delta: the oldest session goes
            assertEquals(List.of("new-2", "new-3", "new-4"), sorted(d.sessionIds()));
            assertEquals(4, d.counter(MeteringMetrics.EVICTED_SESSIONS));
            d.begin("new-2", T0 + 80); // a restart of a live stream replaces it: nothing to evict
            assertEquals(4, d.counter(MeteringMetrics.EVICTED_SESSIONS));
        }
    }

    @Test
    void countsWhoseSumPassesTwoToTheSixtyThreeGiveTheSeedsRate() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0).output("s1", T0 + 1000, 1).reasoning("s1", T0 + 1000, 1);
            d.output("s1", T0 + 3000, Long.MAX_VALUE).reasoning("s1", T0 + 3000, Long.MAX_VALUE);
            d.tickTo(T0 + 3000);
            // Python: (2**63 - 1) * 2 / 2.0 == 1.8446744073709552e19 / 2 == 9.223372036854776e18
            Stats s = last(d.stats());
            assertEquals(9.223372036854776e18, s.tps());
            assertEquals(1, s.active());
        }
    }

    private static Stats last(List<Stats> out) {
        return out.get(out.size() - 1);
    }

    private static List<String> sorted(List<String> ids) {
        return ids.stream().sorted().toList();
    }

    @Test
    void noSessionSurvivesFromTheFutureSoStatsEndAfterTheStaleWindow() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0).output("s1", T0 + 1000, 1).output("s1", T0 + 2000, 2);
            d.sendRaw("s1", "{\"type\":\"output\",\"stream_id\":\"s1\",\"ts\":4102444800000,\"running\":3}", T0 + 2000);
            d.tickTo(T0 + 63_000).stats();
            d.tickTo(T0 + 10 * MINUTE);
            assertEquals(List.of(), d.stats());
            assertNull(d.session("s1"));
        }
    }
}
