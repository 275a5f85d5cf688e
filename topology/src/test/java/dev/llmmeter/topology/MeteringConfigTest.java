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
                60_000, 3_600_000, 600_000, 30_000, 500, 300_000, 200_000), c);
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
                + "metering.topic.stats, metering.topic.dlq, metering.stale.ms, metering.hour.window.ms, "
                + "metering.begin.expiry.ms, metering.partial.ttl.ms, metering.combiner.grace.ms, "
                + "metering.max.future.ms, metering.max.sessions.per.task", e.getMessage());
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
        assertEquals("the deltas, stats and dead-letter topics must be three different topics, got a, a, metering.deltas.dlq",
                assertThrows(IllegalArgumentException.class, () -> MeteringConfig.fromMap(
                        Map.of("metering.topic.deltas", "a", "metering.topic.stats", "a"))).getMessage());
    }
}
