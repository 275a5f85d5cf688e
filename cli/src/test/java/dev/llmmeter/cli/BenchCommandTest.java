package dev.llmmeter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code metering bench} without a broker: the tick benchmark alone, refusals and usage errors. The runs on the
 * embedded broker are {@link BenchCommandIT}.
 */
class BenchCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void sessionsBenchmarkWithoutRestoreNeedsNoBroker() throws IOException {
        SimulateCommandTest.Run run = SimulateCommandTest.metering("bench", "--sessions", "1000", "--ticks", "10",
                "--no-restore", "--json");
        assertEquals(0, run.exit(), run.err());
        JsonNode r = JSON.readTree(run.out());
        assertTrue(r.get("tick_p99_ms").asDouble() > 0);
        assertFalse(r.has("restore_seconds"));
    }

    @Test
    void settingsKafkaStreamsRefusesAreOneLineBeforeTheBrokerStarts(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws IOException {
        java.nio.file.Path config = dir.resolve("bench.properties");
        java.nio.file.Files.writeString(config, "commit.interval.ms=60000\n"); // over exactly-once's transaction timeout
        SimulateCommandTest.Run run = SimulateCommandTest.metering("bench", "--events", "1000", "--config", config.toString());
        assertEquals(1, run.exit(), run.err());
        assertTrue(run.err().startsWith("bench: Kafka Streams refuses these settings under exactly_once_v2: Transaction timeout"),
                run.err());
        assertEquals(1, run.err().strip().lines().count(), "one line, no stack trace: " + run.err());
        assertEquals("", run.out());
    }

    @Test
    void badOptionsAreUsageErrors() {
        assertEquals(2, SimulateCommandTest.metering("bench", "--events", "0").exit());
        assertEquals(2, SimulateCommandTest.metering("bench", "--sessions", "-1").exit());
        assertEquals(2, SimulateCommandTest.metering("bench", "--restart-after", "5").exit(), "only with --failover");
        assertEquals(2, SimulateCommandTest.metering("bench", "--sigterm").exit(), "only with --failover");
        assertEquals(2, SimulateCommandTest.metering("bench", "--failover", "--restart-after", "-1").exit());
        assertEquals(2, SimulateCommandTest.metering("bench", "--failover", "--sessions", "1000").exit());
    }
}
