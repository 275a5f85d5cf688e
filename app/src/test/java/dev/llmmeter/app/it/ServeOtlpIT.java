package dev.llmmeter.app.it;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code serve} as an operator runs it, its own process with the standard OTEL_* variables set: its metrics reach a
 * real OTLP/HTTP receiver, decoded with the protocol's classes. No broker: serve waits for its cluster, and reports
 * itself not ready meanwhile, which is what is pushed.
 */
class ServeOtlpIT {
    @TempDir
    Path work;

    @Test
    @DisplayName("serve with OTEL_EXPORTER_OTLP_ENDPOINT pushes its /metrics families under OTEL_SERVICE_NAME; SIGTERM still exits 0")
    void servePushes() throws Exception {
        ConcurrentLinkedQueue<ExportMetricsServiceRequest> received = new ConcurrentLinkedQueue<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/v1/metrics", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                received.add(ExportMetricsServiceRequest.parseFrom(in));
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ServiceProcess.Started serve = ServiceProcess.start(work, Map.of(
                        "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + receiver.getAddress().getPort(),
                        "OTEL_METRIC_EXPORT_INTERVAL", "500",
                        "OTEL_SERVICE_NAME", "metering-it"),
                "serve", "--bootstrap-servers", "127.0.0.1:1", "--http-port", String.valueOf(port));
        try {
            HttpClient http = HttpClient.newHttpClient();
            URI healthz = URI.create("http://127.0.0.1:" + port + "/healthz");
            // up, its signal handlers installed: a SIGTERM before that is not a clean stop
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> http.send(HttpRequest.newBuilder(healthz).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
            await().atMost(Duration.ofSeconds(60)).until(() -> received.stream().anyMatch(r -> ready(r).isPresent()));
            ExportMetricsServiceRequest r = received.stream().filter(x -> ready(x).isPresent()).findFirst().orElseThrow();
            ResourceMetrics rm = r.getResourceMetrics(0);
            assertEquals(Optional.of("metering-it"), rm.getResource().getAttributesList().stream()
                    .filter(kv -> kv.getKey().equals("service.name")).map(kv -> kv.getValue().getStringValue()).findFirst());
            assertEquals(0.0, ready(r).orElseThrow().getGauge().getDataPoints(0).getAsDouble()); // no cluster: not ready
        } finally {
            serve.process().destroy(); // SIGTERM
            receiver.stop(0);
        }
        ServiceProcess.Run run = serve.finish();
        assertEquals(0, run.exit(), run.err());
    }

    private static Optional<Metric> ready(ExportMetricsServiceRequest r) {
        return r.getResourceMetricsList().stream().flatMap(rm -> rm.getScopeMetricsList().stream())
                .flatMap(sm -> sm.getMetricsList().stream()).filter(m -> m.getName().equals("llm_metering_serve_ready")).findFirst();
    }

    @Test
    @DisplayName("serve with a protocol other than http/protobuf, or an endpoint that is no URL: exit 2, one line naming the variable")
    void badSettingIsAUsageError() throws Exception {
        ServiceProcess.Run grpc = ServiceProcess.start(work, Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318",
                "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"), "serve", "--bootstrap-servers", "127.0.0.1:1", "--http-port", "0").finish();
        assertEquals(2, grpc.exit(), grpc.err());
        assertEquals(List.of("metering serve: OTEL_EXPORTER_OTLP_PROTOCOL grpc: serve pushes OTLP over HTTP only, protocol http/protobuf",
                "Run 'metering serve --help' for usage."), grpc.err().lines().toList());
        ServiceProcess.Run url = ServiceProcess.start(work, Map.of("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "not a url"),
                "serve", "--bootstrap-servers", "127.0.0.1:1", "--http-port", "0").finish();
        assertEquals(2, url.exit(), url.err());
        assertEquals(List.of("metering serve: bad OpenTelemetry setting (OTEL_*): OTLP endpoint must be a valid URL: not a url",
                "Run 'metering serve --help' for usage."), url.err().lines().toList());
    }
}
