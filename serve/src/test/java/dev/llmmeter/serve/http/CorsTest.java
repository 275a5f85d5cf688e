package dev.llmmeter.serve.http;

import dev.llmmeter.serve.MeteringView;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Optional;

import static dev.llmmeter.serve.Records.T0;
import static dev.llmmeter.serve.Records.stats;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** CORS from an allow-list of origins: none by default, each listed origin echoed, {@code *} when configured so. */
class CorsTest {
    static final String CHAT = "https://chat.example.com";
    static final String TOKEN = "admin-0123456789abcdef";

    private static Optional<String> allowOrigin(HttpResponse<?> r) {
        return r.headers().firstValue("Access-Control-Allow-Origin");
    }

    @Test
    @DisplayName("by default no origin is allowed: no Access-Control-Allow-Origin on the API or /events")
    void noOriginByDefault() throws Exception {
        try (ServerFixture f = new ServerFixture(Access.anonymous())) {
            f.view.offerStats(stats("47.3", "52.1", "31.4", 1, T0));
            assertEquals(Optional.empty(), allowOrigin(f.get("/api/stats", "Origin", CHAT)));
            try (SseReader sse = new SseReader(f.port, "/events", null)) {
                assertEquals("", sse.header("Access-Control-Allow-Origin"));
            }
        }
    }

    @Test
    @DisplayName("a listed origin is echoed (Vary: Origin), on the API and /events; another origin gets no header")
    void listedOriginsOnly() throws Exception {
        try (ServerFixture f = new ServerFixture(new Access(null, List.of(CHAT, "http://localhost:3000")))) {
            f.view.offerStats(stats("47.3", "52.1", "31.4", 1, T0));
            HttpResponse<String> r = f.get("/api/stats", "Origin", CHAT);
            assertEquals(Optional.of(CHAT), allowOrigin(r));
            assertEquals(Optional.of("Origin"), r.headers().firstValue("Vary"));
            assertEquals(Optional.of("http://localhost:3000"), allowOrigin(f.get("/api/stats", "Origin", "http://localhost:3000")));
            assertEquals(Optional.empty(), allowOrigin(f.get("/api/stats", "Origin", "https://evil.example.com")));
            assertEquals(Optional.empty(), allowOrigin(f.get("/api/stats")));
            HttpResponse<java.io.InputStream> sse = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + f.port + "/events")).header("Origin", CHAT).build(), HttpResponse.BodyHandlers.ofInputStream());
            try (java.io.InputStream body = sse.body()) {
                assertEquals(200, sse.statusCode());
                assertEquals(Optional.of(CHAT), allowOrigin(sse));
            }
        }
    }

    @Test
    @DisplayName("a preflight from a listed origin is a 204 allowing GET with Authorization, needing no token; from another, a 403")
    void preflight() throws Exception {
        try (ServerFixture f = new ServerFixture(new Access(Tokens.parse(List.of(TOKEN + " admin")), List.of(CHAT)))) {
            HttpResponse<String> ok = options(f, CHAT);
            assertEquals(204, ok.statusCode());
            assertEquals(Optional.of(CHAT), allowOrigin(ok));
            assertEquals(Optional.of("GET"), ok.headers().firstValue("Access-Control-Allow-Methods"));
            assertEquals(Optional.of("Authorization, Last-Event-ID"), ok.headers().firstValue("Access-Control-Allow-Headers"));
            HttpResponse<String> other = options(f, "https://evil.example.com");
            assertEquals(403, other.statusCode());
            assertEquals("{\"status\":403,\"error\":\"origin not allowed\"}", other.body());
            assertEquals(Optional.empty(), allowOrigin(other));
            assertEquals(Optional.of(CHAT), allowOrigin(f.get("/api/insights", "Origin", CHAT, "Authorization", "Bearer " + TOKEN)));
        }
    }

    @Test
    @DisplayName("origin * (for anonymous use on loopback) answers Access-Control-Allow-Origin: * to any origin")
    void anyOrigin() throws Exception {
        try (ServerFixture f = new ServerFixture(new Access(null, List.of("*")))) {
            assertEquals(Optional.of("*"), allowOrigin(f.get("/api/insights", "Origin", "https://anything.example")));
        }
    }

    @Test
    @DisplayName("a server given no host listens on 127.0.0.1 only")
    void loopbackByDefault() {
        try (MeteringServer server = new MeteringServer(new MeteringView(), () -> null)) {
            server.start(0);
            assertEquals("127.0.0.1", server.boundHost());
        }
    }

    private static HttpResponse<String> options(ServerFixture f, String origin) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.port + "/api/insights"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", origin)
                .header("Access-Control-Request-Method", "GET").header("Access-Control-Request-Headers", "authorization").build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
