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
    @DisplayName("insights become gauges by model and tenant: TTFT and inter-delta quantiles in seconds, system throughput")
    void insightsByModelAndTenant() throws Exception {
        f.view.offerInsight("global", insight("global", "null", 5, "35.1", "160.2",
                quantiles(812.0, 1490.0, 2210.0, 14), quantiles(31.0, 48.0, 95.0, 900), T0));
        f.view.offerInsight("model:llama", insight("model", "\"llama\"", 3, "35.2", "98.1",
                quantiles(640.0, 700.0, 990.0, 9), "null", T0));
        f.view.offerInsight("tenant:acme", insight("tenant", "\"acme\"", 2, "33.0", "61.5", "null", "null", T0));
        f.view.offerInsight("model:null", insight("model", "null", 1, "12.0", "12.0", "null", "null", T0));

        Map<String, Double> m = scrape();
        assertEquals(160.2, m.get("llm_metering_system_tokens_per_second{model=\"\",tenant=\"\"}"));
        assertEquals(98.1, m.get("llm_metering_system_tokens_per_second{model=\"llama\",tenant=\"\"}"));
        assertEquals(61.5, m.get("llm_metering_system_tokens_per_second{model=\"\",tenant=\"acme\"}"));
        assertEquals(12.0, m.get("llm_metering_system_tokens_per_second{model=\"null\",tenant=\"\"}"));
        assertEquals(35.2, m.get("llm_metering_group_tokens_per_second{model=\"llama\",tenant=\"\"}"));
        assertEquals(3.0, m.get("llm_metering_group_active_streams{model=\"llama\",tenant=\"\"}"));
        assertEquals(3.0, m.get("llm_metering_streams_started_last_minute{model=\"\",tenant=\"acme\"}"));
        assertEquals(1.0, m.get("llm_metering_streams_ended_last_minute{model=\"\",tenant=\"\"}"));
        assertEquals(0.812, m.get("llm_metering_time_to_first_token_seconds{model=\"\",quantile=\"0.5\",tenant=\"\"}"));
        assertEquals(1.49, m.get("llm_metering_time_to_first_token_seconds{model=\"\",quantile=\"0.9\",tenant=\"\"}"));
        assertEquals(2.21, m.get("llm_metering_time_to_first_token_seconds{model=\"\",quantile=\"0.99\",tenant=\"\"}"));
        assertEquals(0.99, m.get("llm_metering_time_to_first_token_seconds{model=\"llama\",quantile=\"0.99\",tenant=\"\"}"));
        assertEquals(0.095, m.get("llm_metering_inter_delta_latency_seconds{model=\"\",quantile=\"0.99\",tenant=\"\"}"));
        assertFalse(m.containsKey("llm_metering_time_to_first_token_seconds{model=\"\",quantile=\"0.5\",tenant=\"acme\"}"));
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

        byte[] idle = Topics.INSIGHTS.serializeValue(new Insight(t + 61_000, Insight.Group.MODEL, "llama", 0, null, 0.0, null, null, 0, 0));
        f.view.offerInsight("global", Topics.INSIGHTS.serializeValue(new Insight(t + 61_000, Insight.Group.GLOBAL, null, 0, null, 0.0, null, null, 0, 0)));
        f.view.offerInsight("model:llama", idle);
        Map<String, Double> m = scrape();
        assertEquals(0.0, m.get("llm_metering_system_tokens_per_second" + llama));
        assertEquals(0.0, m.get("llm_metering_group_active_streams" + llama));
        assertEquals(0.0, m.get("llm_metering_streams_started_last_minute" + llama));
        assertEquals(0.0, m.get("llm_metering_streams_ended_last_minute" + llama));
        // null in the record (no stream with a reading, no first token in the last minute): no sample, as for the seed's tps
        assertFalse(m.containsKey("llm_metering_group_tokens_per_second" + llama));
        assertFalse(m.containsKey("llm_metering_time_to_first_token_seconds{model=\"llama\",quantile=\"0.99\",tenant=\"\"}"));
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
