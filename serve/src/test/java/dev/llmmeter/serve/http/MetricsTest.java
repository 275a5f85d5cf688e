package dev.llmmeter.serve.http;

import dev.llmmeter.contract.Insight;
import dev.llmmeter.contract.Topics;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static dev.llmmeter.serve.Records.T0;
import static dev.llmmeter.serve.Records.insight;
import static dev.llmmeter.serve.Records.quantiles;
import static dev.llmmeter.serve.Records.stats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsTest {
    private final ServerFixture f = new ServerFixture();

    @AfterEach
    void close() {
        f.close();
    }

    /** The text format's samples: {@code name{labels}} to value; comments left out. */
    private Map<String, Double> scrape() throws Exception {
        HttpResponse<String> r = f.get("/metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain; version=0.0.4"));
        Map<String, Double> samples = new HashMap<>();
        for (String line : r.body().split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return samples;
    }

    @Test
    @DisplayName("the seed's figures are gauges with their units in the names")
    void seedFigures() throws Exception {
        f.view.offerStats(stats("47.3", "52.1", "31.4", 4, T0));
        Map<String, Double> m = scrape();
        assertEquals(47.3, m.get("llm_metering_tokens_per_second"));
        assertEquals(52.1, m.get("llm_metering_tokens_per_second_high"));
        assertEquals(31.4, m.get("llm_metering_tokens_per_second_low"));
        assertEquals(4.0, m.get("llm_metering_active_streams"));
        assertEquals(1.79E9, m.get("llm_metering_last_tick_timestamp_seconds"));
    }

    @Test
    @DisplayName("after the idle tick (no reading) the last tick's time stays, as old as it gets, and tokens per second is absent: what the stale-stats alert tells an idle fleet by")
    void theIdleTickKeepsItsTimeAndDropsTokensPerSecond() throws Exception {
        f.view.offerStats(stats("47.3", "52.1", "31.4", 4, T0));
        f.view.offerStats(stats("null", "null", "null", 0, T0 + 1000));
        Map<String, Double> m = scrape();
        assertEquals(1790000001.0, m.get("llm_metering_last_tick_timestamp_seconds"));
        assertFalse(m.containsKey("llm_metering_tokens_per_second"), m.toString());
    }

    @Test
    @DisplayName("no reading: tps, high and low have no sample rather than a made-up zero")
    void noReadingNoSample() throws Exception {
        f.view.offerStats(stats("null", "null", "null", 0, T0));
        Map<String, Double> m = scrape();
        assertFalse(m.containsKey("llm_metering_tokens_per_second"));
        assertFalse(m.containsKey("llm_metering_tokens_per_second_high"));
        assertFalse(m.containsKey("llm_metering_tokens_per_second_low"));
        assertEquals(0.0, m.get("llm_metering_active_streams"));
    }

    @Test
    @DisplayName("insights by model and tenant: gauges of throughput, and the TTFT, inter-delta and time per output token quantiles in seconds as summaries")
    void insightsByModelAndTenant() throws Exception {
        f.view.offerInsight("global", insight("global", "null", 5, "35.1", "160.2",
                quantiles(812.0, 1490.0, 2210.0, 14), quantiles(31.0, 48.0, 95.0, 900), T0));
        f.view.offerInsight("model:llama", insight("model", "\"llama\"", 3, "35.2", "98.1",
                quantiles(640.0, 700.0, 990.0, 9), "null", quantiles(37.5, 41.2, 60.3, 8), T0));
        f.view.offerInsight("tenant:acme", insight("tenant", "\"acme\"", 2, "33.0", "61.5", "null", "null", T0));
        f.view.offerInsight("model:null", insight("model", "null", 1, "12.0", "12.0", "null", "null", T0));
        f.view.offerInsight("model:mixtral", insight("model", "\"mixtral\"", 1, "40.0", "40.0",
                quantiles(1483.6, 1483.6, 1483.6, 1), "null", T0));

        Map<String, Double> m = scrape();
        assertEquals(160.2, m.get("llm_metering_system_tokens_per_second{model=\"\",tenant=\"\"}"));
        assertEquals(98.1, m.get("llm_metering_system_tokens_per_second{model=\"llama\",tenant=\"\"}"));
        assertEquals(61.5, m.get("llm_metering_system_tokens_per_second{model=\"\",tenant=\"acme\"}"));
        assertEquals(12.0, m.get("llm_metering_system_tokens_per_second{model=\"null\",tenant=\"\"}"));
        assertEquals(35.2, m.get("llm_metering_group_tokens_per_second{model=\"llama\",tenant=\"\"}"));
        assertEquals(3.0, m.get("llm_metering_group_active_streams{model=\"llama\",tenant=\"\"}"));
        assertEquals(3.0, m.get("llm_metering_streams_started_last_minute{model=\"\",tenant=\"acme\"}"));
        assertEquals(1.0, m.get("llm_metering_streams_ended_last_minute{model=\"\",tenant=\"\"}"));
        assertEquals(0.812, m.get("llm_metering_time_to_first_token_seconds{model=\"\",tenant=\"\",quantile=\"0.5\"}"));
        assertEquals(1.49, m.get("llm_metering_time_to_first_token_seconds{model=\"\",tenant=\"\",quantile=\"0.9\"}"));
        assertEquals(2.21, m.get("llm_metering_time_to_first_token_seconds{model=\"\",tenant=\"\",quantile=\"0.99\"}"));
        assertEquals(0.99, m.get("llm_metering_time_to_first_token_seconds{model=\"llama\",tenant=\"\",quantile=\"0.99\"}"));
        assertEquals(0.095, m.get("llm_metering_inter_delta_latency_seconds{model=\"\",tenant=\"\",quantile=\"0.99\"}"));
        assertEquals(1.4836, m.get("llm_metering_time_to_first_token_seconds{model=\"mixtral\",tenant=\"\",quantile=\"0.5\"}"),
                "1483.6 ms is 1.4836 s, the decimal point moved, not 1483.6 / 1000.0 = 1.4835999999999998");
        assertEquals(0.031, m.get("llm_metering_inter_delta_latency_seconds{model=\"\",tenant=\"\",quantile=\"0.5\"}"));
        assertFalse(m.containsKey("llm_metering_time_to_first_token_seconds{model=\"\",tenant=\"acme\",quantile=\"0.5\"}"));
        assertEquals(0.0375, m.get("llm_metering_time_per_output_token_seconds{model=\"llama\",tenant=\"\",quantile=\"0.5\"}"));
        assertEquals(0.0603, m.get("llm_metering_time_per_output_token_seconds{model=\"llama\",tenant=\"\",quantile=\"0.99\"}"));
        assertFalse(m.containsKey("llm_metering_time_per_output_token_seconds{model=\"\",tenant=\"\",quantile=\"0.5\"}"),
                "a record written before tpot_ms: no sample");
    }

    @Test
    @DisplayName("a group's idle record takes its figures to zero, and the group leaves only two minutes of the topology's ticks later")
    void anIdleGroupIsShownAtZeroBeforeItLeaves() throws Exception {
        String llama = "{model=\"llama\",tenant=\"\"}";
        long t = T0 - Duration.ofMinutes(30).toMillis(); // the topology's clock: not serve's
        f.view.offerInsight("global", insight("global", "null", 3, "35.2", "98.1", "null", "null", t));
        f.view.offerInsight("model:llama", insight("model", "\"llama\"", 3, "35.2", "98.1",
                quantiles(640.0, 700.0, 990.0, 9), "null", t));
        assertEquals(98.1, scrape().get("llm_metering_system_tokens_per_second" + llama));

        byte[] idle = Topics.INSIGHTS.serializeValue(new Insight(t + 61_000, Insight.Group.MODEL, "llama", 0, null, 0.0, null, null, null, 0, 0));
        f.view.offerInsight("global", Topics.INSIGHTS.serializeValue(new Insight(t + 61_000, Insight.Group.GLOBAL, null, 0, null, 0.0, null, null, null, 0, 0)));
        f.view.offerInsight("model:llama", idle);
        Map<String, Double> m = scrape();
        assertEquals(0.0, m.get("llm_metering_system_tokens_per_second" + llama));
        assertEquals(0.0, m.get("llm_metering_group_active_streams" + llama));
        assertEquals(0.0, m.get("llm_metering_streams_started_last_minute" + llama));
        assertEquals(0.0, m.get("llm_metering_streams_ended_last_minute" + llama));
        // null in the record (no stream with a reading, no first token in the last minute): no sample, as for the seed's tps
        assertFalse(m.containsKey("llm_metering_group_tokens_per_second" + llama));
        assertFalse(m.containsKey("llm_metering_time_to_first_token_seconds{model=\"llama\",tenant=\"\",quantile=\"0.99\"}"));
        assertEquals(new String(idle, StandardCharsets.UTF_8), f.get("/api/insights?group=model:llama").body());

        f.view.offerInsight("global", insight("global", "null", 1, "10.0", "10.0", "null", "null", t + 61_000 + 120_000));
        assertEquals(0.0, scrape().get("llm_metering_system_tokens_per_second" + llama));
        f.view.offerInsight("global", insight("global", "null", 1, "10.0", "10.0", "null", "null", t + 61_000 + 120_001));
        assertFalse(scrape().containsKey("llm_metering_system_tokens_per_second" + llama));
        assertEquals(404, f.get("/api/insights?group=model:llama").statusCode());
    }

    @Test
    @DisplayName("the server's own figures: readiness, SSE clients, skipped ticks")
    void serveFigures() throws Exception {
        f.view.offerStats(stats("1.0", "1.0", "1.0", 1, T0));
        f.view.offerStats(stats("1.0", "1.0", "1.0", 1, T0));
        f.view.offerStats(stats("1.0", "1.0", "1.0", 1, T0 - 1000));
        f.view.offerStats("not json".getBytes());
        f.notReady.set("catching up");
        Map<String, Double> m = scrape();
        assertEquals(0.0, m.get("llm_metering_serve_ready"));
        assertEquals(0.0, m.get("llm_metering_serve_sse_clients"));
        assertEquals(1.0, m.get("llm_metering_serve_repeated_ticks_total"));
        assertEquals(1.0, m.get("llm_metering_serve_behind_ticks_total"));
        assertEquals(1.0, m.get("llm_metering_serve_invalid_records_total"));
        assertEquals(0.0, m.get("llm_metering_serve_sse_dropped_clients_total"));
    }

    @Test
    @DisplayName("Kafka (Streams) metrics registered through the hook are exposed with their tags as labels")
    void kafkaMetricsHook() throws Exception {
        Map<MetricName, Metric> kafka = new HashMap<>();
        kafka.put(new MetricName("process-rate", "stream-thread-metrics", "records processed per second",
                Map.of("thread-id", "app-StreamThread-1")), constant(1250.5));
        kafka.put(new MetricName("process-total", "stream-thread-metrics", "records processed",
                Map.of("thread-id", "app-StreamThread-1")), constant(90000));
        kafka.put(new MetricName("state", "stream-metrics", "state, not a number", Map.of()), constantObject("RUNNING"));
        f.server.metrics().registerKafkaMetrics(() -> kafka);

        Map<String, Double> m = scrape();
        assertEquals(1250.5, m.get("kafka_stream_thread_process_rate{thread_id=\"app-StreamThread-1\"}"));
        assertEquals(90000.0, m.get("kafka_stream_thread_process_total{thread_id=\"app-StreamThread-1\"}"));
        assertTrue(m.keySet().stream().noneMatch(k -> k.startsWith("kafka_stream_state")));
    }

    @Test
    @DisplayName("Kafka's names the linter refuses are renamed: times in seconds, the unit last; a -count gauge by the things it counts; help text always")
    void kafkaMetricsRenamedForTheLinter() throws Exception {
        Map<String, String> client = Map.of("client-id", "c1");
        Map<MetricName, Metric> kafka = new HashMap<>();
        kafka.put(new MetricName("io-time-ns-total", "consumer-metrics", "The total time the I/O thread spent doing I/O", client), constant(2.5e9));
        kafka.put(new MetricName("io-wait-time-ns-avg", "consumer-metrics", "The average length of time the I/O thread spent waiting", client), constant(1_500_000));
        kafka.put(new MetricName("connection-count", "consumer-metrics", "The current number of active connections.", client), constant(3));
        kafka.put(new MetricName("start-time-ms", "app-info", "Metric indicating start-time-ms", client), constant(1_790_000_000_000L));
        kafka.put(new MetricName("count", "kafka-metrics-count", "total number of registered metrics", client), constant(412));
        kafka.put(new MetricName("active-buffer-count", "stream-task-metrics", "The count of buffered records", Map.of("task-id", "0_1")), constant(7));
        kafka.put(new MetricName("request-latency-avg", "producer-node-metrics", "", Map.of("node-id", "node-1")), constant(4.5));
        f.server.metrics().registerKafkaMetrics(() -> kafka);

        String body = f.get("/metrics").body();
        Map<String, Double> m = scrape();
        assertEquals(2.5, m.get("kafka_consumer_io_time_seconds_total{client_id=\"c1\"}"));
        assertEquals(0.0015, m.get("kafka_consumer_io_wait_time_avg_seconds{client_id=\"c1\"}"));
        assertEquals(3.0, m.get("kafka_consumer_connections{client_id=\"c1\"}"));
        assertEquals(1.79E9, m.get("kafka_app_info_start_time_seconds{client_id=\"c1\"}"));
        assertEquals(412.0, m.get("kafka_metrics{client_id=\"c1\"}"));
        assertEquals(7.0, m.get("kafka_stream_task_active_buffers{task_id=\"0_1\"}"));
        assertEquals(4.5, m.get("kafka_producer_node_request_latency_avg{node_id=\"node-1\"}"));
        assertTrue(body.contains("\n# HELP kafka_consumer_io_time_seconds_total The total time the I/O thread spent doing I/O "
                + "(Kafka's io-time-ns-total, here in seconds)\n"), body);
        assertTrue(body.contains("\n# HELP kafka_producer_node_request_latency_avg Kafka's producer-node-metrics metric request-latency-avg\n"), body);
        assertTrue(body.contains("\n# TYPE kafka_consumer_io_time_seconds_total counter\n"), body);
    }

    private static Metric constant(double v) {
        return constantObject(v);
    }

    private static Metric constantObject(Object v) {
        return new Metric() {
            @Override
            public MetricName metricName() {
                return null;
            }

            @Override
            public Object metricValue() {
                return v;
            }
        };
    }
}
