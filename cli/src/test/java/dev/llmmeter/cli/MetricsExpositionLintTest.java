package dev.llmmeter.cli;

import dev.llmmeter.serve.MeteringView;
import dev.llmmeter.serve.http.MeteringServer;
import dev.llmmeter.serve.metrics.Promtool;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.MeteringTopology;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /metrics} as {@code bin/metering run} serves it, through Prometheus' linter, without a broker: the figures
 * are the real topology's output (in a TopologyTestDriver), and the Kafka metrics are those of a real
 * {@code KafkaStreams} of the same topology (its clients: admin, consumers, producer) and of the driver's tasks,
 * processors and RocksDB stores, recorded at DEBUG level so that every metric Kafka Streams has is there.
 */
class MetricsExpositionLintTest {
    private static final long T0 = 1_790_000_000_000L;

    @TempDir
    Path state;

    @Test
    @DisplayName("/metrics with the topology's figures and every Kafka Streams metric passes promtool check metrics: exit 0, no output")
    void runsExpositionPassesPromtool() throws Exception {
        MeteringConfig config = MeteringConfig.defaults();
        Properties props = MeteringTopology.streamsProperties(config);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "lint");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1"); // never started: nothing connects
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.METRICS_RECORDING_LEVEL_CONFIG, "DEBUG");
        props.put(StreamsConfig.STATE_DIR_CONFIG, state.resolve("streams").toString());
        Properties driverProps = new Properties();
        driverProps.putAll(props);
        driverProps.put(StreamsConfig.STATE_DIR_CONFIG, state.resolve("driver").toString());

        MeteringView view = new MeteringView();
        try (KafkaStreams streams = new KafkaStreams(MeteringTopology.build(config, 1), props);
             TopologyTestDriver driver = new TopologyTestDriver(MeteringTopology.build(config, 1), driverProps, Instant.ofEpochMilli(T0));
             MeteringServer server = new MeteringServer(view, () -> null)) {
            feedTwoModels(config, driver, view);
            server.metrics().registerKafkaMetrics(() -> {
                Map<MetricName, Metric> all = new HashMap<>(streams.metrics());
                all.putAll(driver.metrics());
                return all;
            });
            int port = server.start(0);
            String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();

            // what the lint ran over: the figures per model, and Kafka's clients, tasks and stores
            for (String family : new String[]{"\nllm_metering_group_tokens_per_second{model=\"llama-3.1-70b\",tenant=\"\"} ",
                    "\nllm_metering_time_to_first_token_seconds{model=\"mixtral-8x7b\",tenant=\"\",quantile=\"0.99\"} 0.4",
                    "\nkafka_consumer_connections{", "\nkafka_producer_io_time_seconds_total{", "\nkafka_admin_client_io_wait_time_avg_seconds{",
                    "\nkafka_stream_thread_blocked_time_seconds_total{", "\nkafka_stream_task_active_buffers{", "\nkafka_stream_state_",
                    "\nkafka_stream_processor_node_", "\nkafka_stream_metering_tick_latency_avg{", "\nkafka_stream_metering_misrouted_records_total{",
                    "\nkafka_metrics{"}) {
                assertTrue(body.contains(family), family + " missing from\n" + body);
            }
            Promtool.Result lint = Promtool.check(body);
            assertTrue(lint.clean(), lint.toString());
        }
    }

    /** Two streams of two models, begun, given deltas and ended, with the wall clock ticking: stats and insights. */
    private static void feedTwoModels(MeteringConfig config, TopologyTestDriver driver, MeteringView view) {
        TestInputTopic<String, String> deltas = driver.createInputTopic(config.deltasTopic(), new StringSerializer(), new StringSerializer());
        TestOutputTopic<byte[], byte[]> stats = driver.createOutputTopic(config.statsTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        TestOutputTopic<byte[], byte[]> insights = driver.createOutputTopic(config.insightsTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        deltas.pipeInput("s1", "{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":" + T0 + ",\"model\":\"llama-3.1-70b\",\"tenant\":\"acme\"}", T0);
        deltas.pipeInput("s2", "{\"type\":\"begin\",\"stream_id\":\"s2\",\"ts\":" + T0 + ",\"model\":\"mixtral-8x7b\",\"tenant\":\"globex\"}", T0);
        for (int i = 1; i <= 4; i++) {
            long ts = T0 + i * 400L;
            deltas.pipeInput("s1", "{\"type\":\"output\",\"stream_id\":\"s1\",\"ts\":" + (ts + 400) + ",\"running\":" + (i * 10) + "}", ts + 400);
            deltas.pipeInput("s2", "{\"type\":\"output\",\"stream_id\":\"s2\",\"ts\":" + ts + ",\"running\":" + (i * 20) + "}", ts);
            driver.advanceWallClockTime(Duration.ofMillis(1000));
        }
        deltas.pipeInput("s2", "{\"type\":\"end\",\"stream_id\":\"s2\",\"ts\":" + (T0 + 3000) + ",\"final_output_tokens\":80,\"input_tokens\":100}", T0 + 3000);
        driver.advanceWallClockTime(Duration.ofMillis(1000));
        stats.readValuesToList().forEach(view::offerStats);
        insights.readKeyValuesToList().forEach(kv -> view.offerInsight(new String(kv.key), kv.value));
    }
}
