package dev.llmmeter.serve.http;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SseLimitsTest {
    private static final String ADMIN = "admin-token-0123456789";
    private static final String ACME = "acme-token-0123456789";
    private static final String BETA = "beta-token-0123456789";
    private static final Access TOKENS = new Access(
            Tokens.parse(List.of(ADMIN + " admin", ACME + " tenant:acme", BETA + " tenant:beta")), List.of());

    private static SseHub.Settings caps(int all, int perToken) {
        return SseHub.Settings.defaults().withMaxClients(all, perToken);
    }

    @Test
    @DisplayName("a token's client beyond its cap is answered 503 with the reason and Retry-After; other tokens still connect")
    void aTokenBeyondItsCapIsRefused() throws Exception {
        try (ServerFixture f = new ServerFixture(caps(3, 2), TOKENS);
             SseReader a1 = new SseReader(f.port, "/events", null, ACME);
             SseReader a2 = new SseReader(f.port, "/events", null, ACME)) {
            HttpResponse<String> third = f.get("/events", "Authorization", "Bearer " + ACME);
            assertEquals(503, third.statusCode());
            assertEquals("{\"status\":503,\"error\":\"this token may hold at most 2 SSE clients at once\"}", third.body());
            assertEquals("application/json", third.headers().firstValue("Content-Type").orElse(""));
            assertEquals("10", third.headers().firstValue("Retry-After").orElse(""));
            try (SseReader b = new SseReader(f.port, "/events", null, BETA)) {
                assertEquals(List.of(200, 200, 200), List.of(a1.status(), a2.status(), b.status()));
                assertEquals(3, f.server.hub().clients());
            }
        }
    }

    @Test
    @DisplayName("a client beyond the server's cap is answered 503 whatever its token")
    void beyondTheServersCapEveryTokenIsRefused() throws Exception {
        try (ServerFixture f = new ServerFixture(caps(3, 2), TOKENS);
             SseReader a = new SseReader(f.port, "/events", null, ACME);
             SseReader b = new SseReader(f.port, "/events?access_token=" + BETA, null, null);
             SseReader admin = new SseReader(f.port, "/events", null, ADMIN)) {
            HttpResponse<String> fourth = f.get("/events", "Authorization", "Bearer " + ADMIN);
            assertEquals(503, fourth.statusCode());
            assertEquals("{\"status\":503,\"error\":\"this server streams to at most 3 SSE clients at once\"}", fourth.body());
            assertEquals(List.of(200, 200, 200), List.of(a.status(), b.status(), admin.status()));
        }
    }

    @Test
    @DisplayName("each refusal is counted on /metrics by reason")
    void refusalsAreCounted() throws Exception {
        try (ServerFixture f = new ServerFixture(caps(2, 1), TOKENS);
             SseReader a = new SseReader(f.port, "/events", null, ACME)) {
            assertEquals(503, f.get("/events", "Authorization", "Bearer " + ACME).statusCode());
            assertEquals(503, f.get("/events", "Authorization", "Bearer " + ACME).statusCode());
            try (SseReader b = new SseReader(f.port, "/events", null, BETA)) {
                assertEquals(503, f.get("/events", "Authorization", "Bearer " + ADMIN).statusCode());
                String metrics = f.getAs(ADMIN, "/metrics").body();
                assertTrue(metrics.contains("\nllm_metering_serve_sse_refused_clients_total{reason=\"max_clients_per_token\"} 2.0\n"), metrics);
                assertTrue(metrics.contains("\nllm_metering_serve_sse_refused_clients_total{reason=\"max_clients\"} 1.0\n"), metrics);
                assertTrue(metrics.contains("\nllm_metering_serve_sse_clients 2.0\n"), metrics);
            }
        }
    }

    @Test
    @DisplayName("a client that leaves gives its place back: the token connects again")
    void aClosedClientGivesItsPlaceBack() throws Exception {
        // a short heartbeat: the server learns a client has gone when a write to it fails
        try (ServerFixture f = new ServerFixture(new SseHub.Settings(600, 64, Duration.ofMillis(100), 1, 1), TOKENS)) {
            try (SseReader a = new SseReader(f.port, "/events", null, ACME)) {
                assertEquals(503, f.get("/events", "Authorization", "Bearer " + ACME).statusCode());
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> f.server.hub().clients() == 0);
            try (SseReader again = new SseReader(f.port, "/events", null, ACME)) {
                assertEquals(200, again.status());
            }
        }
    }

    @Test
    @DisplayName("without tokens only the server's cap applies: anonymous clients are not held to the per-token cap")
    void anonymousClientsAreHeldToTheServersCapOnly() throws Exception {
        try (ServerFixture f = new ServerFixture(caps(3, 1), Access.anonymous());
             SseReader a = new SseReader(f.port, "/events", null);
             SseReader b = new SseReader(f.port, "/events", null);
             SseReader c = new SseReader(f.port, "/events", null)) {
            assertEquals(List.of(200, 200, 200), List.of(a.status(), b.status(), c.status()));
            HttpResponse<String> fourth = f.get("/events");
            assertEquals(503, fourth.statusCode());
            assertEquals("{\"status\":503,\"error\":\"this server streams to at most 3 SSE clients at once\"}", fourth.body());
        }
    }

    @Test
    @DisplayName("the defaults are 1000 clients in all and 100 per token; a cap below 1 is refused")
    void defaults() {
        assertEquals(1000, SseHub.Settings.defaults().maxClients());
        assertEquals(100, SseHub.Settings.defaults().maxClientsPerToken());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SseHub.Settings.defaults().withMaxClients(0, 1));
        assertEquals("the SSE client caps must be at least 1, got 0 and 1", e.getMessage());
    }
}
