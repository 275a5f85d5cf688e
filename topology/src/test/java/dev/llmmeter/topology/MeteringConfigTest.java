package dev.llmmeter.topology;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MeteringConfigTest {
    @Test
    void defaultsAreTheSeeds() {
        MeteringConfig c = MeteringConfig.defaults();
        assertEquals(new MeteringConfig("metering.deltas", "metering.stats", "metering.deltas.dlq",
                60_000, 3_600_000, 600_000, 30_000, 500, 300_000, 200_000,
                "metering.streams", "metering.insights", 3_600_000, 100, 200), c);
    }

    @Test
    void readsMeteringKeysAndIgnoresOthers() {
        MeteringConfig c = MeteringConfig.fromMap(Map.of("metering.stale.ms", " 10000 ", "metering.topic.stats", "s",
                "bootstrap.servers", "x:1", "security.protocol", "SASL_SSL"));
        assertEquals(10_000, c.staleMs());
        assertEquals("s", c.statsTopic());
    }

    @Test
    void unknownMeteringKeyIsRejectedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MeteringConfig.fromMap(Map.of("metering.stale.msec", "1")));
        assertEquals("unknown setting metering.stale.msec; known metering settings: metering.topic.deltas, "
                + "metering.topic.stats, metering.topic.dlq, metering.topic.streams, metering.topic.insights, "
                + "metering.stale.ms, metering.hour.window.ms, "
                + "metering.begin.expiry.ms, metering.partial.ttl.ms, metering.combiner.grace.ms, "
                + "metering.max.future.ms, metering.max.sessions.per.task, metering.streams.retention.ms, "
                + "metering.insights.max.labels, metering.insights.max.labels.per.task", e.getMessage());
    }

    @Test
    void theRunningProcessesOwnSettingsAreKnownAndLeftToIt() {
        MeteringConfig c = MeteringConfig.fromMap(Map.of("metering.topic.create", "false", "metering.stale.ms", "5000"),
                java.util.Set.of("metering.topic.create"));
        assertEquals(5000, c.staleMs());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MeteringConfig.fromMap(Map.of("metering.topic.create", "false")));
        assertTrue(e.getMessage().startsWith("unknown setting metering.topic.create; "), e.getMessage());
    }

    @Test
    void badValuesAreRejectedByName() {
        assertEquals("metering.stale.ms must be a whole number of milliseconds, got '1m'",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.stale.ms", "1m"))).getMessage());
        assertEquals("metering.hour.window.ms must be a positive number of milliseconds, got 0",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.hour.window.ms", "0"))).getMessage());
        assertEquals("metering.combiner.grace.ms must be between 0 and 999 ms, got 1000",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.combiner.grace.ms", "1000"))).getMessage());
        assertEquals("metering.max.sessions.per.task must be a positive number of sessions, got 0",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.max.sessions.per.task", "0"))).getMessage());
        assertEquals("metering.max.future.ms must be a whole number of milliseconds, got '5m'",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.max.future.ms", "5m"))).getMessage());
        assertEquals("the deltas, stats, dead-letter, streams and insights topics must be five different topics, got a, a, "
                        + "metering.deltas.dlq, metering.streams, metering.insights",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(
                        Map.of("metering.topic.deltas", "a", "metering.topic.stats", "a"))).getMessage());
    }

    @Test
    void aMaxFutureBeyondOneDayIsRejectedByNameSoTheCombinersClampCannotOverflow() {
        assertEquals("metering.max.future.ms must be at most 86400000 ms (one day), got 9223372036854775000",
                assertThrows(IllegalArgumentException.class,
                        () -> MeteringConfig.fromMap(Map.of("metering.max.future.ms", "9223372036854775000"))).getMessage());
        assertEquals("metering.max.future.ms must be at most 86400000 ms (one day), got 86400001",
                assertThrows(IllegalArgumentException.class,
                        () -> MeteringConfig.fromMap(Map.of("metering.max.future.ms", "86400001"))).getMessage());
        assertEquals(86_400_000L, MeteringConfig.fromMap(Map.of("metering.max.future.ms", "86400000")).maxFutureMs());
    }

    @Test
    void insightsSettingsAreReadAndValidatedByName() {
        MeteringConfig c = MeteringConfig.fromMap(Map.of("metering.topic.streams", "s", "metering.topic.insights", "i",
                "metering.streams.retention.ms", "60000", "metering.insights.max.labels", "7"));
        assertEquals("s", c.streamsTopic());
        assertEquals("i", c.insightsTopic());
        assertEquals(60_000, c.streamsRetentionMs());
        assertEquals(7, c.insightsMaxLabels());
        assertEquals("metering.streams.retention.ms must be a positive number of milliseconds, got 0",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.streams.retention.ms", "0"))).getMessage());
        assertEquals("metering.insights.max.labels must be between 1 and 1000 labels, got 0",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.insights.max.labels", "0"))).getMessage());
        assertEquals("metering.insights.max.labels must be between 1 and 1000 labels, got 1001",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.insights.max.labels", "1001"))).getMessage());
        assertEquals(200, c.insightsMaxLabelsPerTask());
        assertEquals(500, MeteringConfig.fromMap(Map.of("metering.insights.max.labels", "500")).insightsMaxLabelsPerTask(),
                "unset, it is at least metering.insights.max.labels");
        assertEquals(3, MeteringConfig.fromMap(Map.of("metering.insights.max.labels", "2",
                "metering.insights.max.labels.per.task", "3")).insightsMaxLabelsPerTask());
        assertEquals("metering.insights.max.labels.per.task must be between metering.insights.max.labels (7) and 1000 labels, got 6",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.insights.max.labels", "7",
                        "metering.insights.max.labels.per.task", "6"))).getMessage());
        assertEquals("metering.insights.max.labels.per.task must be between metering.insights.max.labels (100) and 1000 labels, got 1001",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of(
                        "metering.insights.max.labels.per.task", "1001"))).getMessage());
        assertEquals("the deltas, stats, dead-letter, streams and insights topics must be five different topics, got metering.deltas, "
                        + "metering.stats, metering.deltas.dlq, metering.stats, metering.insights",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(Map.of("metering.topic.streams", "metering.stats"))).getMessage());
    }
}
