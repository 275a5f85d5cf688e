package dev.llmmeter.topology;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.Usage;
import dev.llmmeter.topology.processors.MeteringMetrics;
import dev.llmmeter.topology.usage.UsageLedger;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static dev.llmmeter.topology.MeteringDriver.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The usage ledger on the production topology: exact totals per (tenant, model) and window. */
class UsageLedgerTopologyTest {
    private static final String SOURCE = UsageLedger.source("metering-test");
    /** The minute holding T0 (T0 is 20 s into it) and the hour holding it (T0 is 800 s into it). */
    private static final long M = T0 - 20_000;
    private static final long H = T0 - 800_000;

    private static Usage usage(String tenant, String model, Usage.Window w, long start, long requests, long input,
                               long output, long reasoning, long cached, long metered) {
        return new Usage(Usage.windowId(SOURCE, w, start, tenant, model), SOURCE, tenant, model, w, start,
                start + w.sizeMs(), requests, BigInteger.valueOf(input), BigInteger.valueOf(output),
                BigInteger.valueOf(reasoning), BigInteger.valueOf(cached), metered, null);
    }

    private static List<Usage> values(List<TestRecord<String, Usage>> records) {
        return records.stream().map(TestRecord::value).toList();
    }

    @Test
    @DisplayName("a window's record comes out once, when the meter's clock passes its end plus grace, keyed by its id")
    void aWindowIsPublishedOnceWhenTheMetersClockPassesItsGrace() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0, "m1", "acme")
                    .send(DeltaEvent.end("s1", T0 + 1_000, 420, 1_200, 64, 1_024))
                    .begin("s2", T0 + 2_000, "m1", "acme")
                    .send(DeltaEvent.end("s2", T0 + 3_000, 80, 300));
            long minuteClose = M + 60_000 + 300_000;
            d.arriveAt(minuteClose - 1);
            assertEquals(List.of(), d.usageRecords());
            d.arriveAt(minuteClose);
            List<TestRecord<String, Usage>> records = d.usageRecords();
            Usage minute = usage("acme", "m1", Usage.Window.MINUTE, M, 2, 1_500, 500, 64, 1_024, 0);
            assertEquals(List.of(minute), values(records));
            assertEquals(minute.id(), records.get(0).key());
            d.arriveAt(H + 3_600_000 + 300_000);
            assertEquals(List.of(usage("acme", "m1", Usage.Window.HOUR, H, 2, 1_500, 500, 64, 1_024, 0)), values(d.usageRecords()));
            d.tickSeconds(5);
            assertEquals(List.of(), d.usageRecords()); // once
        }
    }

    @Test
    @DisplayName("window edges and grace by stream time: an end at a window's end is the next window's; one ms before its close it "
            + "is in the record, at its close the window closes and a later end is an amendment")
    void windowEdgesAndGraceByStreamTime() {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.USAGE_GRACE_MS, "10000"));
        long close = M + 60_000 + 10_000; // T0 + 50 s; the wall clock stays at T0: only the events' times move the ledger
        try (MeteringDriver d = new MeteringDriver(config)) {
            for (String id : List.of("a", "b", "c", "d", "p1", "p2")) {
                d.deliver(DeltaEvent.begin(id, M + 1_000, "m", "t"));
            }
            d.deliver(DeltaEvent.end("a", M + 59_999, 10, 100))
                    .deliver(DeltaEvent.end("b", M + 60_000, 20, 200)) // at the window's end: the next minute
                    .deliver(DeltaEvent.end("p1", close - 1, 1, 1))
                    .deliver(DeltaEvent.end("c", M + 30_000, 30, 300)); // one ms inside the grace
            assertEquals(List.of(), d.usageRecords());
            d.deliver(DeltaEvent.end("p2", close, 2, 2)); // the window's end plus grace: it closes
            Usage first = usage("t", "m", Usage.Window.MINUTE, M, 2, 400, 40, 0, 0, 0);
            assertEquals(List.of(first), values(d.usageRecords()));
            d.deliver(DeltaEvent.end("d", M + 40_000, 7, 70)); // past the grace: billed in an amendment
            Usage amendment = new Usage(Usage.amendmentId(first.id(), "d"), SOURCE, "t", "m", Usage.Window.MINUTE, M,
                    M + 60_000, 1, BigInteger.valueOf(70), BigInteger.valueOf(7), BigInteger.ZERO, BigInteger.ZERO, 0, first.id());
            List<TestRecord<String, Usage>> late = d.usageRecords();
            assertEquals(List.of(amendment), values(late));
            assertEquals(amendment.id(), late.get(0).key());
            assertEquals(1, d.counter(MeteringMetrics.LATE_USAGE));
            d.arriveAt(M + 120_000 + 10_000);
            assertEquals(List.of(usage("t", "m", Usage.Window.MINUTE, M + 60_000, 3, 203, 23, 0, 0, 0)), values(d.usageRecords()));
        }
    }

    @Test
    @DisplayName("a stream that never ends is billed from the meter's running counts, dated by its last delta (its begin when it "
            + "had none), and marked metered")
    void anUnendedStreamIsBilledFromTheMetersCounts() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s", T0, "m", "t").output("s", T0 + 500, 7).reasoning("s", T0 + 700, 3)
                    .begin("idle", T0 + 800, "m", "t") // never fed: expires after metering.begin.expiry.ms (600 s)
                    .begin("done", T0 + 900, "m", "t")
                    .send(DeltaEvent.end("done", T0 + 950, 5, 9));
            d.arriveAt(M + 60_000 + 300_000); // s went stale at T0 + 61 s: billed in the minute of its last delta
            Usage minute = usage("t", "m", Usage.Window.MINUTE, M, 2, 9, 12, 3, 0, 1);
            assertEquals(List.of(minute), values(d.usageRecords()));
            d.arriveAt(T0 + 602_000); // idle expired at T0 + 601 s, its begin's minute long closed: an amendment
            assertEquals(List.of(new Usage(Usage.amendmentId(minute.id(), "idle"), SOURCE, "t", "m", Usage.Window.MINUTE, M,
                    M + 60_000, 1, BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO, 1, minute.id())),
                    values(d.usageRecords()));
            d.arriveAt(H + 3_600_000 + 300_000);
            assertEquals(List.of(usage("t", "m", Usage.Window.HOUR, H, 3, 9, 12, 3, 0, 2)), values(d.usageRecords()));
        }
    }

    @Test
    @DisplayName("a stream evicted at the session cap is billed from the meter's running counts, dated by its last delta, and marked "
            + "metered; its late end bills nothing more")
    void anEvictedStreamIsBilledFromTheMetersCounts() {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.MAX_SESSIONS_PER_TASK, "1", MeteringConfig.USAGE_GRACE_MS, "0"));
        try (MeteringDriver d = new MeteringDriver(config)) {
            d.begin("s1", T0, "m", "t").output("s1", T0 + 500, 3).reasoning("s1", T0 + 600, 2)
                    .begin("s2", T0 + 700, "m", "t"); // the cap is one session: s1 is evicted
            assertEquals(1, d.counter(MeteringMetrics.EVICTED_SESSIONS));
            d.send(DeltaEvent.end("s2", T0 + 800, 4, 40))
                    .send(DeltaEvent.end("s1", T0 + 900, 9, 90)); // s1's end, after its eviction: its session is gone
            d.arriveAt(M + 60_000);
            assertEquals(List.of(usage("t", "m", Usage.Window.MINUTE, M, 2, 40, 7, 2, 0, 1)), values(d.usageRecords()));
        }
    }

    @Test
    @DisplayName("a redelivered end, or a whole stream sent again, is billed once and counted as a duplicate")
    void aRedeliveredEndIsBilledOnce() {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.USAGE_GRACE_MS, "0"));
        try (MeteringDriver d = new MeteringDriver(config)) {
            d.begin("s", T0, "m", "t").send(DeltaEvent.end("s", T0 + 100, 10, 20))
                    .send(DeltaEvent.end("s", T0 + 100, 10, 20)) // redelivered: the session is gone
                    .begin("s", T0 + 200, "m", "t").send(DeltaEvent.end("s", T0 + 300, 10, 20)); // a producer's retry of the stream
            d.arriveAt(M + 60_000);
            assertEquals(List.of(usage("t", "m", Usage.Window.MINUTE, M, 1, 20, 10, 0, 0, 0)), values(d.usageRecords()));
            assertEquals(1, d.counter(MeteringMetrics.DUPLICATE_USAGE));
        }
    }

    @Test
    @DisplayName("a missing tenant or model is a (tenant, model) of its own, apart from every named one")
    void aMissingTenantOrModelIsItsOwnPair() {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.USAGE_GRACE_MS, "0"));
        try (MeteringDriver d = new MeteringDriver(config)) {
            d.begin("none", T0, null, null).send(DeltaEvent.end("none", T0 + 1, 1, 10))
                    .begin("model-only", T0, "m", null).send(DeltaEvent.end("model-only", T0 + 2, 2, 20))
                    .begin("tenant-only", T0, null, "t").send(DeltaEvent.end("tenant-only", T0 + 3, 3, 30))
                    .begin("both", T0, "m", "t").send(DeltaEvent.end("both", T0 + 4, 4, 40));
            d.arriveAt(M + 60_000);
            assertEquals(List.of(
                            usage(null, null, Usage.Window.MINUTE, M, 1, 10, 1, 0, 0, 0),
                            usage(null, "m", Usage.Window.MINUTE, M, 1, 20, 2, 0, 0, 0),
                            usage("t", null, Usage.Window.MINUTE, M, 1, 30, 3, 0, 0, 0),
                            usage("t", "m", Usage.Window.MINUTE, M, 1, 40, 4, 0, 0, 0)),
                    values(d.usageRecords()).stream().sorted(Comparator.comparing(Usage::tenant, Comparator.nullsFirst(Comparator.<String>naturalOrder()))
                            .thenComparing(Usage::model, Comparator.nullsFirst(Comparator.<String>naturalOrder()))).toList());
        }
    }

    @Test
    @DisplayName("counts near 2^63 sum exactly, past 64 bits")
    void countsNearTwoToTheSixtyThreeSumExactly() {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.USAGE_GRACE_MS, "0"));
        long max = Long.MAX_VALUE;
        try (MeteringDriver d = new MeteringDriver(config)) {
            d.begin("a", T0, "m", "t").send(DeltaEvent.end("a", T0 + 1, max, max, max, max))
                    .begin("b", T0, "m", "t").send(DeltaEvent.end("b", T0 + 2, max, max, max, max))
                    .begin("c", T0, "m", "t").send(DeltaEvent.end("c", T0 + 3, 2, 2, 2, 2));
            d.arriveAt(M + 60_000);
            BigInteger twoTo64 = BigInteger.ONE.shiftLeft(64); // 2 * (2^63 - 1) + 2
            assertEquals(List.of(new Usage(Usage.windowId(SOURCE, Usage.Window.MINUTE, M, "t", "m"), SOURCE, "t", "m",
                    Usage.Window.MINUTE, M, M + 60_000, 3, twoTo64, twoTo64, twoTo64, twoTo64, 0, null)), values(d.usageRecords()));
        }
    }

    @Test
    @DisplayName("with producers' clocks two hours ahead, windows close by their event time, but no usage record is dated "
            + "ahead of the meter's clock: a broker refuses records over an hour ahead")
    void noUsageRecordIsDatedAheadOfTheMetersClock() {
        long ahead = M + 2 * 3_600_000L;
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.USAGE_GRACE_MS, "10000",
                MeteringConfig.MAX_FUTURE_MS, String.valueOf(3 * 3_600_000L)));
        try (MeteringDriver d = new MeteringDriver(config)) {
            d.deliver(DeltaEvent.begin("a", ahead + 1_000, "m", "t"))
                    .deliver(DeltaEvent.end("a", ahead + 2_000, 10, 100))
                    .deliver(DeltaEvent.begin("later", ahead + 70_000, "m", "t"))
                    .deliver(DeltaEvent.end("later", ahead + 70_000, 1, 1)); // stream time at the minute's end plus grace
            List<TestRecord<String, Usage>> records = d.usageRecords();
            assertEquals(List.of(usage("t", "m", Usage.Window.MINUTE, ahead, 1, 100, 10, 0, 0, 0)), values(records));
            assertEquals(T0, d.wallClock());
            assertEquals(T0, records.get(0).timestamp()); // not its window's end, two hours ahead
        }
    }

    @Test
    @DisplayName("an end with an invalid provider figure is dead-lettered and bills nothing; the stream's valid end then bills once")
    void anEndWithAnInvalidFigureIsDeadLetteredAndBillsNothing() {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.USAGE_GRACE_MS, "0"));
        try (MeteringDriver d = new MeteringDriver(config)) {
            d.begin("s1", T0, "m", "t");
            d.sendRaw("s1", "{\"type\":\"end\",\"stream_id\":\"s1\",\"ts\":" + (T0 + 1) + ",\"final_output_tokens\":5,"
                    + "\"input_tokens\":50,\"reasoning_tokens\":\"many\"}", T0 + 1);
            assertEquals(1, d.deadLetters().size());
            d.send(DeltaEvent.end("s1", T0 + 2, 7, 70));
            d.arriveAt(M + 60_000);
            assertEquals(List.of(usage("t", "m", Usage.Window.MINUTE, M, 1, 70, 7, 0, 0, 0)), values(d.usageRecords()));
        }
    }
}
