package dev.llmmeter.topology;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.StreamStatus;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.llmmeter.contract.StreamStatus.State.ACTIVE;
import static dev.llmmeter.contract.StreamStatus.State.ENDED;
import static dev.llmmeter.contract.StreamStatus.State.EXPIRED;
import static dev.llmmeter.contract.StreamStatus.State.STALE;
import static dev.llmmeter.topology.MeteringDriver.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** metering.streams: one record per stream per second with a delta, a final one, then a tombstone. */
class StreamsTopicTest {

    @Test
    void aStreamWithDeltasInASecondGetsOneActiveRecordAtThatTick() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0, "llama", "acme").output("s1", T0 + 250, 1).output("s1", T0 + 500, 4).tickTo(T0 + 2_000);
            assertEquals(List.of(new StreamStatus("s1", "llama", "acme", ACTIVE, 16.0, 4, 0, 250L, 250L, T0, T0 + 1_000)),
                    d.streams(), "one record for the second with deltas, none for the quiet one after it");
            d.reasoning("s1", T0 + 2_500, 2).tickTo(T0 + 3_000);
            // 6 tokens over 2.25 s = 2.666.. -> 2.7
            assertEquals(List.of(new StreamStatus("s1", "llama", "acme", ACTIVE, 2.7, 4, 2, 250L, 2_250L, T0, T0 + 3_000)), d.streams());
        }
    }

    @Test
    void anEndedStreamGetsItsFinalRecordDatedByTheTickOfItsSecond() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0).output("s1", T0 + 100, 3).end("s1", T0 + 1_500).tickTo(T0 + 5_000);
            assertEquals(List.of(
                    new StreamStatus("s1", null, null, ACTIVE, null, 3, 0, 100L, 0L, T0, T0 + 1_000),
                    new StreamStatus("s1", null, null, ENDED, null, 3, 0, 100L, 0L, T0, T0 + 2_000, null, 0L)), d.streams(),
                    "one output delta: no time per output token; the end gave no input tokens: 0, as billed");
        }
    }

    @Test
    void anEndedStreamsFinalRecordCarriesItsTimePerOutputTokenAndTheEndsInputTokens() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0, "m", "acme").output("s1", T0 + 100, 1).output("s1", T0 + 600, 3)
                    .send(DeltaEvent.end("s1", T0 + 1_500, 5, 1200)).tickTo(T0 + 3_000);
            // 500 ms from the first output delta to the last, over the end's 5 tokens - 1
            assertEquals(List.of(
                    new StreamStatus("s1", "m", "acme", ACTIVE, 6.0, 3, 0, 100L, 500L, T0, T0 + 1_000),
                    new StreamStatus("s1", "m", "acme", ENDED, 6.0, 3, 0, 100L, 500L, T0, T0 + 2_000, 125.0, 1200L)), d.streams());
        }
    }

    @Test
    void aStaleStreamGetsItsFinalRecordAtTheTickThatPrunesIt() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0, "m", null).output("s1", T0 + 200, 1).output("s1", T0 + 700, 5).tickTo(T0 + 62_000);
            assertEquals(List.of(
                    new StreamStatus("s1", "m", null, ACTIVE, 10.0, 5, 0, 200L, 500L, T0, T0 + 1_000),
                    new StreamStatus("s1", "m", null, STALE, 10.0, 5, 0, 200L, 500L, T0, T0 + 61_000, 125.0, null)), d.streams(),
                    "last received at T0 + 0.7 s: stale at the first tick more than 60 s later; 500 ms over 5 tokens - 1");
        }
    }

    @Test
    void aBeginNeverFedExpiresWithAFinalRecordWithoutFigures() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0, null, "acme").tickTo(T0 + 601_000);
            assertEquals(List.of(new StreamStatus("s1", null, "acme", EXPIRED, null, 0, 0, null, null, T0, T0 + 601_000)), d.streams());
        }
    }

    @Test
    void aTombstoneFollowsTheFinalRecordAfterTheRetention() {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.STREAMS_RETENTION_MS, "5000"));
        try (MeteringDriver d = new MeteringDriver(config)) {
            d.begin("s1", T0).begin("s2", T0).output("s1", T0 + 100, 1).output("s2", T0 + 100, 1)
                    .end("s1", T0 + 1_500).end("s2", T0 + 1_500)
                    .begin("s2", T0 + 3_000) // the id is live again: its tombstone must not come
                    .tickTo(T0 + 6_000);
            d.streamRecords();
            d.tickTo(T0 + 7_000);
            List<TestRecord<String, StreamStatus>> tombstones = d.streamRecords();
            assertEquals(1, tombstones.size());
            assertEquals("s1", tombstones.get(0).key());
            assertNull(tombstones.get(0).value());
            assertEquals(T0 + 7_000, tombstones.get(0).timestamp(), "final record at T0 + 2 s, plus 5 s");
            d.tickTo(T0 + 20_000);
            assertEquals(List.of(), d.streamRecords());
        }
    }

    @Test
    void tombstonesSurviveARestart() {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.STREAMS_RETENTION_MS, "5000"));
        try (MeteringDriver d = new MeteringDriver(config)) {
            d.begin("s1", T0).output("s1", T0 + 100, 1).end("s1", T0 + 1_500).tickTo(T0 + 3_000);
            assertEquals(Long.valueOf(T0 + 2_000), d.driver.<String, Long>getKeyValueStore(StoreNames.STREAM_ENDINGS).get("s1"));
            d.tickTo(T0 + 7_000);
            assertNull(d.driver.<String, Long>getKeyValueStore(StoreNames.STREAM_ENDINGS).get("s1"), "sent, and forgotten");
        }
    }

    @Test
    void multiTokenDeltasCountTheRunningCountNotTheEvents() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.begin("s1", T0).send(DeltaEvent.output("s1", T0 + 100, 40)).send(DeltaEvent.output("s1", T0 + 600, 120)).tickTo(T0 + 1_000);
            assertEquals(240.0, d.streams().get(0).tps(), "120 tokens in 0.5 s, from two events");
        }
    }
}
