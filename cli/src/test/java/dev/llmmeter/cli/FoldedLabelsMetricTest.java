package dev.llmmeter.cli;

import dev.llmmeter.serve.metrics.Promtool;
import dev.llmmeter.topology.MeteringConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The count of labels folded into {@code other} on {@code /metrics} as {@code bin/metering run} serves it (the combiner's
 * Kafka Streams metrics, bridged): the real topology in a TopologyTestDriver, one model more than the bound.
 */
class FoldedLabelsMetricTest {
    private static final long T0 = 1_790_000_000_000L;

    @TempDir
    Path state;

    @Test
    @DisplayName("three models under metering.insights.max.labels=2: kafka_stream_metering_folded_labels_total is 1 for models, minute and hour, 0 for tenants; promtool passes")
    void oneModelBeyondTheBoundShowsOnMetricsAsOneFoldedLabel() throws Exception {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.INSIGHTS_MAX_LABELS, "2", MeteringConfig.SLO_TTFT_MS, "500"));
        try (TopologyTestDriver driver = DriverMetrics.driver(config, "folded", state, T0)) {
            String thread = Thread.currentThread().getName();
            TestInputTopic<String, String> deltas = driver.createInputTopic(config.deltasTopic(), new StringSerializer(), new StringSerializer());
            for (String model : List.of("a", "b", "c")) {
                String id = "s-" + model;
                deltas.pipeInput(id, "{\"type\":\"begin\",\"stream_id\":\"" + id + "\",\"ts\":" + T0 + ",\"model\":\"" + model + "\",\"tenant\":\"t1\"}", T0);
                deltas.pipeInput(id, "{\"type\":\"output\",\"stream_id\":\"" + id + "\",\"ts\":" + (T0 + 100) + ",\"running\":3}", T0 + 100);
                deltas.pipeInput(id, "{\"type\":\"end\",\"stream_id\":\"" + id + "\",\"ts\":" + (T0 + 200) + ",\"final_output_tokens\":3}", T0 + 200);
            }
            for (int i = 0; i < 3; i++) {
                driver.advanceWallClockTime(Duration.ofMillis(1000));
            }
            String body = DriverMetrics.scrape(driver);

            List<String> folded = body.lines().filter(l -> l.startsWith("kafka_stream_metering_folded_labels_total{")).sorted().toList();
            String task = "0_0"; // the combiner's task
            assertEquals(List.of(
                    "kafka_stream_metering_folded_labels_total{breakdown=\"model\",metering_id=\"" + task + "\",thread_id=\"" + thread + "\",window=\"hour\"} 1.0",
                    "kafka_stream_metering_folded_labels_total{breakdown=\"model\",metering_id=\"" + task + "\",thread_id=\"" + thread + "\",window=\"minute\"} 1.0",
                    "kafka_stream_metering_folded_labels_total{breakdown=\"tenant\",metering_id=\"" + task + "\",thread_id=\"" + thread + "\",window=\"hour\"} 0.0",
                    "kafka_stream_metering_folded_labels_total{breakdown=\"tenant\",metering_id=\"" + task + "\",thread_id=\"" + thread + "\",window=\"minute\"} 0.0"),
                    folded, body);
            assertTrue(body.contains("\n# TYPE kafka_stream_metering_folded_labels_total counter\n"), body);
            Promtool.Result lint = Promtool.check(body);
            assertTrue(lint.clean(), lint.toString());
        }
    }
}
