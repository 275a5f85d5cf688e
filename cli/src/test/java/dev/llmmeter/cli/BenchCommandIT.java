package dev.llmmeter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Smoke runs of {@code metering bench} on the embedded broker with tiny inputs: it completes and prints its JSON.
 * The figures of such runs mean nothing (the real benchmark is not part of the tests: see README, Performance).
 */
class BenchCommandIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void brokerBenchmarkRunsEveryAppUnderBothGuarantees() throws IOException {
        SimulateCommandTest.Run run = SimulateCommandTest.metering("bench", "--events", "20000", "--streams", "500",
                "--repetitions", "1", "--warmup", "0", "--json");
        assertEquals(0, run.exit(), run.err());
        JsonNode r = JSON.readTree(run.out());
        assertEquals(20000, r.get("events").asLong());
        for (String key : new String[] {"passthrough_alos_eps", "metering_alos_eps", "ratio_alos",
            "passthrough_eos_eps", "metering_eos_eps", "ratio_eos", "consumer_eps", "ratio_consumer",
            "noop_alos_eps", "noop_eos_eps", "ratio_noop_alos", "ratio_noop_eos", "ratio_noop_consumer",
            "busy_metering_alos", "busy_noop_eos"}) {
            assertTrue(r.get(key).asDouble() > 0, key + " in " + run.out());
        }
        assertTrue(r.has("punctuate_p99_ms"));
        assertEquals(Runtime.getRuntime().availableProcessors(), r.get("cores").asInt());
        assertEquals(6, r.get("runs").size(), "pass-through, metering and no-op, at least once and exactly once");
        for (JsonNode run1 : r.get("runs")) {
            double busy = run1.get("stream_thread_busy").asDouble();
            assertTrue(busy > 0 && busy <= 1.05, "a share of one thread's time: " + run1);
        }
        assertEquals(1, r.get("consumer_runs").size(), "the plain consumer, once per repetition");
        assertTrue(r.get("consumer_runs").get(0).get("value_bytes").asLong() > 0, "it touched the values");
        assertEquals("read_committed", r.get("consumer_isolation_level").asText(), "as the apps read");
    }

    @Test
    void sessionsBenchmarkTimesTicksAndTheRestoreFromTheChangelog() throws IOException {
        SimulateCommandTest.Run run = SimulateCommandTest.metering("bench", "--sessions", "3000", "--ticks", "20", "--json");
        assertEquals(0, run.exit(), run.err());
        JsonNode r = JSON.readTree(run.out());
        assertEquals(3000, r.get("sessions").asInt());
        for (String key : new String[] {"tick_p50_ms", "tick_p99_ms", "tick_max_ms", "heap_bytes_per_session",
            "restore_seconds", "restore_records_per_second", "restore_changelog_mb", "restore_start_seconds",
            "restore_end_seconds", "processor_init_seconds", "running_seconds", "first_tick_seconds", "first_stats_seconds", "peak_heap_mb"}) {
            assertTrue(r.get(key).asDouble() > 0, key + " in " + run.out());
        }
        assertEquals(64, r.get("store_value_bytes_per_session").asInt()); // V4: seven longs (V3 and the first and last output delta times), two varint numbers (< 2^14 here), no labels
        assertEquals("exactly_once_v2", r.get("restore_guarantee").asText(), "the app's default guarantee");
        assertEquals(3000, r.get("restore_records").asLong(), "every session written to the changelog is restored");
        assertEquals(3000, r.get("first_stats_active").asLong(), "and counted live by the restored task's first tick");
        assertTrue(r.has("max_sessions_per_task"));
    }

    @Test
    void failoverBenchmarkKillsTheCombinersHostRestartsItAndMeasuresTheGap() throws IOException {
        SimulateCommandTest.Run run = SimulateCommandTest.metering("bench", "--failover", "--restart-after", "0",
                "--repetitions", "1", "--json");
        assertEquals(0, run.exit(), run.err());
        JsonNode r = JSON.readTree(run.out());
        assertEquals("SIGKILL", r.get("signal").asText());
        assertEquals(0, r.get("restart_after_seconds").asInt());
        assertEquals(1, r.get("runs").size());
        for (String key : new String[] {"gap_seconds", "stop_to_first_seconds", "restart_to_first_seconds"}) {
            assertTrue(r.get(key).asDouble() > 0, key + " in " + run.out());
        }
    }
}
