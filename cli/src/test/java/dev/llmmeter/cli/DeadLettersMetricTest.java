package dev.llmmeter.cli;

import dev.llmmeter.contract.DeadLetterReason;
import dev.llmmeter.serve.metrics.Promtool;
import dev.llmmeter.topology.MeteringConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Dead letters by reason on {@code /metrics} as {@code bin/metering run} serves it (the session task's Kafka Streams
 * metrics, bridged): the real topology in a TopologyTestDriver, fed known bad records.
 */
class DeadLettersMetricTest {
    private static final long T0 = 1_790_000_000_000L;

    @TempDir
    Path state;

    @Test
    @DisplayName("two invalid JSON values and one keyless event: kafka_stream_metering_dead_letters_total is 2 for malformed_json, 1 for missing_key, 0 for every other reason; promtool passes")
    void deadLettersShowOnMetricsByReason() throws Exception {
        MeteringConfig config = MeteringConfig.fromMap(Map.of());
        try (TopologyTestDriver driver = DriverMetrics.driver(config, "dead-letters", state, T0)) {
            String thread = Thread.currentThread().getName();
            TestInputTopic<String, String> deltas = driver.createInputTopic(config.deltasTopic(), new StringSerializer(), new StringSerializer());
            deltas.pipeInput("ok", "{\"type\":\"begin\",\"stream_id\":\"ok\",\"ts\":" + T0 + "}", T0);
            deltas.pipeInput("s", "{\"type\":\"begin\"", T0 + 10);
            deltas.pipeInput("s", "nope", T0 + 20);
            deltas.pipeInput(null, "{\"type\":\"begin\",\"stream_id\":\"s\",\"ts\":" + T0 + "}", T0 + 30);
            deltas.pipeInput("ok", "{\"type\":\"output\",\"stream_id\":\"ok\",\"ts\":" + (T0 + 100) + ",\"running\":3}", T0 + 100);
            String body = DriverMetrics.scrape(driver);

            List<String> deadLetters = body.lines().filter(l -> l.startsWith("kafka_stream_metering_dead_letters_total{")).sorted().toList();
            String task = "0_0"; // the session task
            List<String> expected = Arrays.stream(DeadLetterReason.values())
                    .map(r -> "kafka_stream_metering_dead_letters_total{metering_id=\"" + task + "\",reason=\"" + r.wireName()
                            + "\",thread_id=\"" + thread + "\"} "
                            + (r == DeadLetterReason.MALFORMED_JSON ? "2.0" : r == DeadLetterReason.MISSING_KEY ? "1.0" : "0.0"))
                    .sorted().toList();
            assertEquals(expected, deadLetters, body);
            assertTrue(body.contains("\n# TYPE kafka_stream_metering_dead_letters_total counter\n"), body);
            Promtool.Result lint = Promtool.check(body);
            assertTrue(lint.clean(), lint.toString());
        }
    }
}
