package dev.llmmeter.serve.metrics;

import com.sun.net.httpserver.HttpServer;
import dev.llmmeter.serve.MeteringView;
import dev.llmmeter.serve.http.SseHub;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;

import static dev.llmmeter.serve.Records.T0;
import static dev.llmmeter.serve.Records.insight;
import static dev.llmmeter.serve.Records.quantiles;
import static dev.llmmeter.serve.Records.stats;
import static dev.llmmeter.serve.Records.stream;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * OTLP push against a real OTLP/HTTP receiver on loopback, what arrives decoded with the protocol's own classes.
 * The environment is passed as a map: the variables are read by exactly the code that reads {@code System.getenv()}.
 */
class OtlpPushTest {
    private static final String READER_THREAD = "PeriodicMetricReader";

    private final MeteringView view = new MeteringView();
    private final ServeMetrics metrics = new ServeMetrics(view, new SseHub(view, SseHub.Settings.defaults()), () -> true);
    private final ConcurrentLinkedQueue<ExportMetricsServiceRequest> received = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> paths = new ConcurrentLinkedQueue<>();
    private final HttpServer receiver;
    private OtlpPush push;

    OtlpPushTest() throws IOException {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                paths.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath()
                        + " " + exchange.getRequestHeaders().getFirst("Content-Type") + " " + exchange.getRequestHeaders().getFirst("Authorization"));
                received.add(ExportMetricsServiceRequest.parseFrom(in));
            }
            byte[] ok = ExportMetricsServiceResponse.getDefaultInstance().toByteArray();
            exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, ok.length == 0 ? -1 : ok.length);
            exchange.getResponseBody().write(ok);
            exchange.close();
        });
        receiver.start();
    }

    @AfterEach
    void close() {
        if (push != null) {
            push.close();
        }
        receiver.stop(0);
    }

    private String endpoint() {
        return "http://127.0.0.1:" + receiver.getAddress().getPort();
    }

    private static long readerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(READER_THREAD)).count();
    }

    /** The latest export's metrics by name, from the one resource and scope serve sends. */
    private static Map<String, Metric> byName(ExportMetricsServiceRequest r) {
        return r.getResourceMetrics(0).getScopeMetrics(0).getMetricsList().stream()
                .collect(Collectors.toMap(Metric::getName, m -> m));
    }

    private static Map<String, String> attributes(List<KeyValue> kvs) {
        return kvs.stream().collect(Collectors.toMap(KeyValue::getKey, kv -> kv.getValue().getStringValue()));
    }

    private static Optional<NumberDataPoint> point(Metric m, Map<String, String> attributes) {
        List<NumberDataPoint> points = m.hasGauge() ? m.getGauge().getDataPointsList() : m.getSum().getDataPointsList();
        return points.stream().filter(p -> attributes(p.getAttributesList()).equals(attributes)).findFirst();
    }

    @Test
    @DisplayName("with OTEL_EXPORTER_OTLP_ENDPOINT set, serve's families arrive every OTEL_METRIC_EXPORT_INTERVAL under OTEL_SERVICE_NAME, with the values /metrics holds")
    void pushesTheRegistry() {
        view.offerStats(stats("47.3", "52.1", "31.4", 4, T0));
        view.offerInsight("global", insight("global", "null", 5, "35.1", "160.2",
                quantiles(812.0, 1490.0, 2210.0, 14), quantiles(31.0, 48.0, 95.0, 900), T0));
        view.offerInsight("model:llama", insight("model", "\"llama\"", 3, "35.2", "98.1",
                quantiles(640.0, 700.0, 990.0, 9), "null", T0));
        view.offerStats(stats("47.3", "52.1", "31.4", 4, T0)); // a repeat: counted by llm_metering_serve_repeated_ticks

        push = OtlpPush.start(metrics.registry(), Map.of(
                "OTEL_EXPORTER_OTLP_ENDPOINT", endpoint(),
                "OTEL_METRIC_EXPORT_INTERVAL", "500",
                "OTEL_SERVICE_NAME", "metering-eu",
                "OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test",
                "OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer collector-token",
                "PATH", "/not/an/otel/variable"));
        assertTrue(push.active());
        // two exports 500 ms apart show the interval is the one set (the SDK's default is 60 s)
        await().atMost(Duration.ofSeconds(20)).until(() -> received.size() >= 2);

        assertEquals("POST /v1/metrics application/x-protobuf Bearer collector-token", paths.peek());
        ExportMetricsServiceRequest r = received.peek();
        ResourceMetrics rm = r.getResourceMetrics(0);
        Map<String, String> resource = attributes(rm.getResource().getAttributesList());
        assertEquals("metering-eu", resource.get("service.name"));
        assertEquals("test", resource.get("deployment.environment"));
        assertEquals("dev.llmmeter.serve", rm.getScopeMetrics(0).getScope().getName());

        Map<String, Metric> m = byName(r);
        // every family of /metrics, under its family name (a counter's without _total)
        // (the gen_ai histograms under the conventions' names)
        assertEquals(metrics.registry().scrape().stream().map(f -> f.getMetadata().getPrometheusName())
                        .map(n -> GenAiMetrics.OTEL_NAMES.containsKey(n) ? GenAiMetrics.OTEL_NAMES.get(n).name() : n).collect(Collectors.toSet()),
                m.keySet());
        Metric tps = m.get("llm_metering_tokens_per_second");
        assertTrue(tps.hasGauge());
        assertEquals(47.3, tps.getGauge().getDataPoints(0).getAsDouble());
        assertEquals(52.1, m.get("llm_metering_tokens_per_second_high").getGauge().getDataPoints(0).getAsDouble());
        assertEquals(31.4, m.get("llm_metering_tokens_per_second_low").getGauge().getDataPoints(0).getAsDouble());
        assertEquals(4.0, m.get("llm_metering_active_streams").getGauge().getDataPoints(0).getAsDouble());
        assertEquals(1.79E9, m.get("llm_metering_last_tick_timestamp_seconds").getGauge().getDataPoints(0).getAsDouble());
        assertEquals(35.2, point(m.get("llm_metering_group_tokens_per_second"), Map.of("model", "llama")).orElseThrow().getAsDouble());
        assertEquals(35.1, point(m.get("llm_metering_group_tokens_per_second"), Map.of()).orElseThrow().getAsDouble());
        assertEquals(1.0, m.get("llm_metering_serve_ready").getGauge().getDataPoints(0).getAsDouble());

        Metric repeated = m.get("llm_metering_serve_repeated_ticks"); // /metrics: llm_metering_serve_repeated_ticks_total
        assertTrue(repeated.getSum().getIsMonotonic());
        assertEquals(io.opentelemetry.proto.metrics.v1.AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
                repeated.getSum().getAggregationTemporality());
        assertEquals(1.0, repeated.getSum().getDataPoints(0).getAsDouble());

        Metric ttft = m.get("llm_metering_time_to_first_token_seconds");
        assertTrue(ttft.hasSummary());
        SummaryDataPoint llama = ttft.getSummary().getDataPointsList().stream()
                .filter(p -> attributes(p.getAttributesList()).equals(Map.of("model", "llama"))).findFirst().orElseThrow();
        assertEquals(List.of(0.5, 0.9, 0.99), llama.getQuantileValuesList().stream().map(SummaryDataPoint.ValueAtQuantile::getQuantile).toList());
        assertEquals(List.of(0.64, 0.7, 0.99), llama.getQuantileValuesList().stream().map(SummaryDataPoint.ValueAtQuantile::getValue).toList());
        assertEquals(0, llama.getCount());
        assertTrue(m.get("llm_metering_time_to_first_token_seconds").getDescription().startsWith("Time to first token"));

    }

    @Test
    @DisplayName("the gen_ai histograms arrive under the conventions' names, units and attributes, as cumulative explicit-bucket histograms: the advised bounds without +Inf, each bucket's own count, the sum")
    void pushesHistograms() {
        view.offerStream("s1", stream("s1", "ended", "30.0", "300", T0)); // llama-3-70b, acme, 120 output tokens
        view.offerStream("s2", stream("s2", "ended", "30.0", "1200", T0));
        push = OtlpPush.start(metrics.registry(), Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint(), "OTEL_METRIC_EXPORT_INTERVAL", "500"));
        await().atMost(Duration.ofSeconds(20)).until(() -> !received.isEmpty());

        Metric ttft = byName(received.peek()).get("gen_ai.server.time_to_first_token");
        assertTrue(ttft.hasHistogram());
        assertEquals("s", ttft.getUnit());
        assertEquals(io.opentelemetry.proto.metrics.v1.AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
                ttft.getHistogram().getAggregationTemporality());
        HistogramDataPoint p = ttft.getHistogram().getDataPoints(0);
        assertEquals(Map.of("gen_ai.request.model", "llama-3-70b", "tenant", "acme"), attributes(p.getAttributesList()));
        assertEquals(java.util.Arrays.stream(GenAiMetrics.TTFT_BUCKETS).boxed().toList(), p.getExplicitBoundsList());
        // 0.3 s in (0.25, 0.5], 1.2 s in (1.0, 2.5]; the 17th bucket is (10, +Inf)
        assertEquals(List.of(0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 1L, 0L, 0L, 1L, 0L, 0L, 0L, 0L), p.getBucketCountsList());
        assertEquals(2, p.getCount());
        assertEquals(1.5, p.getSum());

        Metric usage = byName(received.peek()).get("gen_ai.client.token.usage");
        assertEquals("{token}", usage.getUnit());
        HistogramDataPoint tokens = usage.getHistogram().getDataPoints(0);
        assertEquals(Map.of("gen_ai.request.model", "llama-3-70b", "gen_ai.token.type", "output", "tenant", "acme"),
                attributes(tokens.getAttributesList()));
        assertEquals(15, tokens.getBucketCountsCount());
        assertEquals(2L, tokens.getBucketCounts(4)); // 120 tokens in (64, 256]
        assertEquals(240.0, tokens.getSum());
    }

    @Test
    @DisplayName("gen_ai.server.time_per_output_token arrives in seconds with its advised bounds, and the ended streams' input tokens under gen_ai.token.type input")
    void pushesTimePerOutputTokenAndInputTokens() {
        view.offerStream("s1", dev.llmmeter.serve.Records.bytes("{\"stream_id\":\"s1\",\"model\":\"llama-3-70b\",\"tenant\":\"acme\","
                + "\"state\":\"ended\",\"tps\":30.0,\"output\":120,\"reasoning\":0,\"ttft_ms\":300,\"decode_ms\":4000,"
                + "\"begin_ts\":" + (T0 - 5000) + ",\"ts\":" + T0 + ",\"tpot_ms\":33.6,\"input\":1500}"));
        push = OtlpPush.start(metrics.registry(), Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint(), "OTEL_METRIC_EXPORT_INTERVAL", "500"));
        await().atMost(Duration.ofSeconds(20)).until(() -> !received.isEmpty());

        Metric tpot = byName(received.peek()).get("gen_ai.server.time_per_output_token");
        assertEquals("s", tpot.getUnit());
        HistogramDataPoint p = tpot.getHistogram().getDataPoints(0);
        assertEquals(Map.of("gen_ai.request.model", "llama-3-70b", "tenant", "acme"), attributes(p.getAttributesList()));
        assertEquals(List.of(0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5), p.getExplicitBoundsList());
        // 0.0336 s in (0.025, 0.05]
        assertEquals(List.of(0L, 0L, 1L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L), p.getBucketCountsList());
        assertEquals(0.0336, p.getSum());

        HistogramDataPoint input = byName(received.peek()).get("gen_ai.client.token.usage").getHistogram().getDataPointsList().stream()
                .filter(d -> "input".equals(attributes(d.getAttributesList()).get("gen_ai.token.type"))).findFirst().orElseThrow();
        assertEquals(Map.of("gen_ai.request.model", "llama-3-70b", "gen_ai.token.type", "input", "tenant", "acme"),
                attributes(input.getAttributesList()));
        assertEquals(1, input.getCount());
        assertEquals(1L, input.getBucketCounts(6)); // 1500 tokens in (1024, 4096]
        assertEquals(1500.0, input.getSum());
    }

    @Test
    @DisplayName("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is posted to as given; a label \"null\" is an attribute; service.name defaults to llm-metering")
    void attributesAreTheLabels() {
        view.offerInsight("model:null", insight("model", "null", 1, "12.0", "12.0", "null", "null", T0));
        push = OtlpPush.start(metrics.registry(), Map.of("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", endpoint() + "/otlp/metrics",
                "OTEL_METRIC_EXPORT_INTERVAL", "500"));
        await().atMost(Duration.ofSeconds(20)).until(() -> !received.isEmpty());
        assertEquals("POST /otlp/metrics application/x-protobuf null", paths.peek()); // the metrics endpoint as given
        Metric active = byName(received.peek()).get("llm_metering_group_active_streams");
        assertEquals(1.0, point(active, Map.of("model", "null")).orElseThrow().getAsDouble());
        assertEquals("llm-metering", attributes(received.peek().getResourceMetrics(0).getResource().getAttributesList()).get("service.name"));
    }

    @Test
    @DisplayName("by default every 60 s, to the endpoint's /v1/metrics, as OTLP/HTTP protobuf")
    void defaults() {
        push = OtlpPush.start(metrics.registry(), Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint()));
        String sdk = push.describe();
        assertTrue(sdk.contains("intervalNanos=60000000000"), sdk);
        assertTrue(sdk.contains("OtlpHttpMetricExporter{endpoint=" + endpoint() + "/v1/metrics"), sdk);
    }

    @Test
    @DisplayName("no OTEL_EXPORTER_OTLP_ENDPOINT nor OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: nothing pushes, no exporter thread")
    void offByDefault() {
        long before = readerThreads();
        push = OtlpPush.start(metrics.registry(), Map.of("OTEL_SERVICE_NAME", "metering-eu", "OTEL_METRIC_EXPORT_INTERVAL", "500"));
        assertFalse(push.active());
        assertEquals(before, readerThreads());
        push.close();
        assertTrue(received.isEmpty());
    }

    @Test
    @DisplayName("OTEL_SDK_DISABLED=true turns the push off even with an endpoint set")
    void sdkDisabled() {
        long before = readerThreads();
        push = OtlpPush.start(metrics.registry(), Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint(), "OTEL_SDK_DISABLED", "true"));
        assertFalse(push.active());
        assertEquals(before, readerThreads());
    }

    @Test
    @DisplayName("close stops the exporter thread")
    void closeStops() {
        long before = readerThreads();
        push = OtlpPush.start(metrics.registry(), Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint(), "OTEL_METRIC_EXPORT_INTERVAL", "500"));
        assertEquals(before + 1, readerThreads());
        push.close();
        await().atMost(Duration.ofSeconds(20)).until(() -> readerThreads() == before);
    }

    @Test
    @DisplayName("a bad endpoint, protocol or interval is one line naming the setting")
    void badValues() {
        Map<String, String> cases = new HashMap<>();
        cases.put("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
        cases.put("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "carrier-pigeon");
        cases.put("OTEL_EXPORTER_OTLP_ENDPOINT", "not a url");
        cases.put("OTEL_METRIC_EXPORT_INTERVAL", "soon");
        Map<String, String> messages = new HashMap<>();
        cases.forEach((k, v) -> {
            Map<String, String> env = new HashMap<>(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint()));
            env.put(k, v);
            OtlpPush.BadSetting e = assertThrows(OtlpPush.BadSetting.class, () -> OtlpPush.start(metrics.registry(), env));
            messages.put(k, e.getMessage());
        });
        messages.values().forEach(msg -> assertFalse(msg.contains("\n"), msg));
        assertEquals("OTEL_EXPORTER_OTLP_PROTOCOL grpc: serve pushes OTLP over HTTP only, protocol http/protobuf",
                messages.get("OTEL_EXPORTER_OTLP_PROTOCOL"));
        assertEquals("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL carrier-pigeon: serve pushes OTLP over HTTP only, protocol http/protobuf",
                messages.get("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"));
        assertEquals("bad OpenTelemetry setting (OTEL_*): OTLP endpoint must be a valid URL: not a url",
                messages.get("OTEL_EXPORTER_OTLP_ENDPOINT"));
        assertTrue(messages.get("OTEL_METRIC_EXPORT_INTERVAL").startsWith(
                "bad OpenTelemetry setting (OTEL_*): Invalid duration property OTEL_METRIC_EXPORT_INTERVAL=soon."), messages.toString());
    }
}
