package dev.llmmeter.serve.http;

import dev.llmmeter.contract.Usage;
import dev.llmmeter.serve.metrics.Promtool;
import dev.llmmeter.serve.usage.UsageLedgerView;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.llmmeter.serve.Records.T0;
import static dev.llmmeter.serve.Records.insight;
import static dev.llmmeter.serve.Records.quantiles;
import static dev.llmmeter.serve.Records.stats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code GET /metrics} with every family present, through Prometheus' own linter, {@code promtool check metrics}. */
class MetricsLintTest {
    private final ServerFixture f = new ServerFixture();

    @AfterEach
    void close() {
        f.close();
    }

    @Test
    @DisplayName("every family of /metrics, the gen_ai histograms, the TTFT and inter-delta summaries and Kafka's renamed metrics included, passes promtool check metrics")
    void everyFamilyPassesPromtool() throws Exception {
        f.view.offerStats(stats("47.3", "52.1", "31.4", 4, T0));
        f.view.offerInsight("global", insight("global", "null", 5, "35.1", "160.2",
                quantiles(812.0, 1490.0, 2210.0, 14), quantiles(31.0, 48.0, 95.0, 900), T0));
        f.view.offerInsight("model:llama", insight("model", "\"llama\"", 3, "35.2", "98.1",
                quantiles(640.0, 700.0, 990.0, 9), quantiles(20.0, 30.0, 40.0, 300), T0));
        f.view.offerInsight("tenant:acme", insight("tenant", "\"acme\"", 2, "33.0", "61.5",
                quantiles(700.0, 800.0, 900.0, 4), "null", T0));
        UsageLedgerView ledger = new UsageLedgerView();
        ledger.offer(new Usage("u1", "/llm-metering/test", "acme", "llama", Usage.Window.MINUTE, T0, T0 + 60_000, 2,
                BigInteger.valueOf(100), BigInteger.valueOf(10), BigInteger.valueOf(3), BigInteger.valueOf(4), 0, null));
        f.server.usage(ledger, () -> null, () -> 0);
        f.server.metrics().registerKafkaMetrics(MetricsLintTest::kafkaMetricsTheLinterFlaggedBefore);
        f.view.offerStream("s1", GenAiMetricsTest.stream("s1", "\"llama\"", "acme", "ended", 120, 3, "300"));
        f.view.offerStream("s2", GenAiMetricsTest.stream("s2", "null", "acme", "stale", 0, 0, "null"));

        String body = f.get("/metrics").body();
        assertTrue(body.contains("\n# TYPE llm_metering_time_to_first_token_seconds summary\n"), body);
        assertTrue(body.contains("\nllm_metering_time_to_first_token_seconds{model=\"llama\",tenant=\"\",quantile=\"0.99\"} 0.99\n"), body);
        assertTrue(body.contains("\n# TYPE gen_ai_server_time_to_first_token_seconds histogram\n"), body);
        assertTrue(body.contains("\n# TYPE gen_ai_client_token_usage histogram\n"), body);
        Promtool.Result lint = Promtool.check(body);
        assertTrue(lint.clean(), lint.toString());
    }

    @Test
    @DisplayName("the linter flags a gauge with a quantile label and Kafka's _count and _ns names, as it did before: the check has teeth")
    void promtoolFlagsWhatItFlaggedBefore() throws Exception {
        String before = """
                # HELP llm_metering_time_to_first_token_seconds TTFT
                # TYPE llm_metering_time_to_first_token_seconds gauge
                llm_metering_time_to_first_token_seconds{model="",tenant="",quantile="0.5"} 0.812
                # HELP kafka_consumer_connection_count The current number of active connections.
                # TYPE kafka_consumer_connection_count gauge
                kafka_consumer_connection_count{client_id="c1"} 3.0
                # HELP kafka_consumer_io_time_ns_total The total time the I/O thread spent doing I/O
                # TYPE kafka_consumer_io_time_ns_total counter
                kafka_consumer_io_time_ns_total{client_id="c1"} 2.5E9
                """;
        Promtool.Result lint = Promtool.check(before);
        assertEquals(3, lint.exit(), lint.toString());
        assertEquals(List.of(
                "kafka_consumer_connection_count non-histogram and non-summary metrics should not have \"_count\" suffix",
                "kafka_consumer_io_time_ns_total metric names should not contain abbreviated units",
                "llm_metering_time_to_first_token_seconds non-summary metrics should not have \"quantile\" label"),
                lint.output().lines().sorted().toList());
    }

    /** One Kafka metric of each kind promtool flagged under {@code bin/metering run} before the bridge renamed them. */
    private static Map<MetricName, Metric> kafkaMetricsTheLinterFlaggedBefore() {
        Map<MetricName, Metric> m = new HashMap<>();
        Map<String, String> consumer = Map.of("client-id", "c1");
        for (String group : List.of("admin-client-metrics", "consumer-metrics", "producer-metrics")) {
            put(m, "connection-count", group, "The current number of active connections.", consumer, 3);
            put(m, "io-time-ns-avg", group, "The average length of time for I/O per select call in nanoseconds.", consumer, 2_000);
            put(m, "io-time-ns-total", group, "The total time the I/O thread spent doing I/O", consumer, 2.5e9);
            put(m, "io-wait-time-ns-avg", group, "The average length of time the I/O thread spent waiting", consumer, 1_500_000);
            put(m, "io-wait-time-ns-total", group, "The total time the I/O thread spent waiting", consumer, 9e9);
        }
        for (String group : List.of("admin-client-node-metrics", "consumer-node-metrics", "producer-node-metrics")) {
            put(m, "request-latency-avg", group, "", Map.of("client-id", "c1", "node-id", "node-1"), 4.5);
            put(m, "request-latency-max", group, "", Map.of("client-id", "c1", "node-id", "node-1"), 9.0);
        }
        put(m, "start-time-ms", "app-info", "Metric indicating start-time-ms", consumer, 1.79e12);
        put(m, "commit-sync-time-ns-total", "consumer-metrics", "The total time the consumer has spent in commitSync in nanoseconds", consumer, 5e6);
        put(m, "committed-time-ns-total", "consumer-metrics", "The total time the consumer has spent in committed in nanoseconds", consumer, 5e6);
        put(m, "count", "kafka-metrics-count", "total number of registered metrics", consumer, 412);
        for (String txn : List.of("bufferpool-wait-time-ns-total", "flush-time-ns-total", "metadata-wait-time-ns-total",
                "txn-abort-time-ns-total", "txn-begin-time-ns-total", "txn-commit-time-ns-total", "txn-init-time-ns-total",
                "txn-prepare-time-ns-total", "txn-send-offsets-time-ns-total")) {
            put(m, txn, "producer-metrics", "Total time in nanoseconds", Map.of("client-id", "p1"), 1e6);
        }
        put(m, "oldest-iterator-open-since-ms", "stream-state-metrics", "The UNIX timestamp the oldest still open iterator was created, in milliseconds",
                Map.of("thread-id", "t1", "task-id", "0_1", "rocksdb-state-id", "s"), 1.79e12);
        put(m, "active-buffer-count", "stream-task-metrics", "The count of buffered records", Map.of("thread-id", "t1", "task-id", "0_1"), 7);
        put(m, "blocked-time-ns-total", "stream-thread-metrics", "The total time the thread spent blocked on kafka in nanoseconds",
                Map.of("thread-id", "t1"), 3e9);
        put(m, "process-total", "stream-thread-metrics", "The total number of calls to process", Map.of("thread-id", "t1"), 90_000);
        put(m, "process-rate", "stream-thread-metrics", "The average per-second number of calls to process", Map.of("thread-id", "t1"), 1250.5);
        return m;
    }

    private static void put(Map<MetricName, Metric> m, String name, String group, String description, Map<String, String> tags, double value) {
        MetricName key = new MetricName(name, group, description, tags);
        m.put(key, new Metric() {
            @Override
            public MetricName metricName() {
                return key;
            }

            @Override
            public Object metricValue() {
                return value;
            }
        });
    }
}
