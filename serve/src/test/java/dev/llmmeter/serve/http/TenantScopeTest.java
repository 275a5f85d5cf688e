package dev.llmmeter.serve.http;

import dev.llmmeter.contract.Usage;
import dev.llmmeter.serve.usage.UsageLedgerView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.llmmeter.serve.Records.T0;
import static dev.llmmeter.serve.Records.insight;
import static dev.llmmeter.serve.Records.stats;
import static dev.llmmeter.serve.Records.stream;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bearer tokens and their scopes on every path: a tenant token reads the global figures and its own tenant's,
 * and nothing of another tenant; admin reads everything; no token, or a wrong one, reads nothing but the probes
 * and the dashboard's files.
 */
class TenantScopeTest {
    static final String ADMIN = "admin-0123456789abcdef";
    static final String ACME = "acme-0123456789abcdef";
    static final String BETA = "beta-0123456789abcdef";
    /** 2026-12-05T10:00:00Z */
    static final long H10 = 1_796_464_800_000L;
    static final String USAGE = "/api/usage?from=2026-12-05T10:00:00Z&to=2026-12-05T11:00:00Z&window=minute";

    private final ServerFixture f = new ServerFixture(new Access(
            Tokens.parse(List.of(ADMIN + " admin", ACME + " tenant:acme", BETA + " tenant:beta")), List.of()));
    private final UsageLedgerView ledger = new UsageLedgerView(100_000, 100);

    TenantScopeTest() {
        f.server.usage(ledger, () -> null, () -> 0);
        f.view.offerStats(stats("47.3", "52.1", "31.4", 2, T0));
        f.view.offerInsight("global", insight("global", "null", 2, "35.1", "160.2", "null", "null", T0));
        f.view.offerInsight("model:llama-3-70b", insight("model", "\"llama-3-70b\"", 2, "35.2", "98.1", "null", "null", T0));
        f.view.offerInsight("tenant:acme", insight("tenant", "\"acme\"", 1, "77.7", "77.7", "null", "null", T0));
        f.view.offerInsight("tenant:beta", insight("tenant", "\"beta\"", 1, "22.2", "22.2", "null", "null", T0));
        f.view.offerStream("s-1", stream("s-1", "acme", "active", "71.5", "7140", T0));
        f.view.offerStream("s-2", stream("s-2", "beta", "active", "21.5", "2140", T0));
        ledger.offer(usage("u-1", "acme", 7777));
        ledger.offer(usage("u-2", "beta", 2222));
    }

    @AfterEach
    void close() {
        f.close();
    }

    private static Usage usage(String id, String tenant, long in) {
        return new Usage(id, "/llm-metering/test", tenant, "llama-3-70b", Usage.Window.MINUTE, H10, H10 + 60_000, 1,
                BigInteger.valueOf(in), BigInteger.ONE, BigInteger.ZERO, BigInteger.ZERO, 0, null);
    }

    @Test
    @DisplayName("the paths served are exactly these (a new one must be added to the walks below)")
    void pathsServed() throws Exception {
        assertEquals(List.of("/", "/dashboard.js", "/dashboard.css", "/api/stats", "/api/stats/history", "/api/insights",
                "/api/streams/{id}",
                "/api/usage", "/api/usage/summary", "/healthz", "/readyz", "/metrics", "/events"), f.server.paths());
    }

    @Test
    @DisplayName("no token: 401 with a JSON body and WWW-Authenticate: Bearer, on every path but the probes and the dashboard's files")
    void noTokenIs401() throws Exception {
        List<String> open = List.of("/", "/dashboard.js", "/dashboard.css", "/healthz", "/readyz");
        for (String path : f.server.paths()) {
            HttpResponse<String> r = f.get(path.replace("{id}", "s-1"));
            if (open.contains(path)) {
                assertEquals(200, r.statusCode(), path);
                continue;
            }
            assertEquals(401, r.statusCode(), path);
            assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow(), path);
            assertEquals("Bearer realm=\"metering\"", r.headers().firstValue("WWW-Authenticate").orElseThrow(), path);
            assertEquals("{\"status\":401,\"error\":\"a bearer token is needed\"}", r.body(), path);
        }
        assertEquals(200, f.get("/webjars/uplot/1.6.30/dist/uPlot.iife.min.js").statusCode());
        assertEquals(401, f.get("/api/nothing-here").statusCode());
        assertEquals(401, f.get("/webjars/../api/stats").statusCode());
        assertEquals(400, f.get("/webjars/%2e%2e/api/stats").statusCode()); // Jetty refuses an encoded dot segment before any route
    }

    @Test
    @DisplayName("a wrong token, or another scheme: 401, the token not echoed; a token in ?access_token= counts on /events only")
    void wrongTokenIs401() throws Exception {
        HttpResponse<String> wrong = f.getAs("acme-0123456789abcdeX", "/api/stats");
        assertEquals(401, wrong.statusCode());
        assertEquals("Bearer realm=\"metering\", error=\"invalid_token\"", wrong.headers().firstValue("WWW-Authenticate").orElseThrow());
        assertEquals("{\"status\":401,\"error\":\"unknown bearer token\"}", wrong.body());
        assertEquals(401, f.get("/api/stats", "Authorization", "Basic " + ACME).statusCode());
        assertEquals("{\"status\":401,\"error\":\"a bearer token is needed\"}", f.get("/api/stats?access_token=" + ADMIN).body());
        assertEquals(200, f.get("/api/stats", "Authorization", "bearer " + ADMIN).statusCode());
    }

    @Test
    @DisplayName("admin reads everything: every tenant's groups, streams and usage, and /metrics")
    void adminReadsEverything() throws Exception {
        assertEquals(200, f.getAs(ADMIN, "/metrics").statusCode());
        assertTrue(f.getAs(ADMIN, "/metrics").body().contains("tenant=\"beta\""));
        assertEquals(List.of("global", "model", "tenant", "tenant"), groups(f.getAs(ADMIN, "/api/insights").body()));
        assertEquals(200, f.getAs(ADMIN, "/api/streams/s-1").statusCode());
        assertEquals(200, f.getAs(ADMIN, "/api/streams/s-2").statusCode());
        String usage = f.getAs(ADMIN, USAGE).body();
        assertTrue(usage.contains("\"tenant\":\"acme\"") && usage.contains("\"tenant\":\"beta\""), usage);
    }

    @Test
    @DisplayName("a tenant token: /metrics is 403; /api/stats, /api/stats/history and the global group are everyone's")
    void tenantTokenMetricsForbidden() throws Exception {
        HttpResponse<String> metrics = f.getAs(ACME, "/metrics");
        assertEquals(403, metrics.statusCode());
        assertEquals("{\"status\":403,\"error\":\"/metrics needs an admin token\"}", metrics.body());
        assertEquals("{\"tps\":47.3,\"tps_available\":true,\"estimated\":false,\"high\":52.1,\"low\":31.4,\"active\":2,\"ts\":1790000000000}",
                f.getAs(ACME, "/api/stats").body());
        assertEquals("[{\"tps\":47.3,\"tps_available\":true,\"estimated\":false,\"high\":52.1,\"low\":31.4,\"active\":2,\"ts\":1790000000000}]",
                f.getAs(ACME, "/api/stats/history").body());
        assertEquals(f.getAs(ADMIN, "/api/stats/history").body(), f.getAs(ACME, "/api/stats/history").body());
        assertEquals(200, f.getAs(ACME, "/api/insights?group=global").statusCode());
    }

    @Test
    @DisplayName("a tenant token sees another tenant's stream exactly as an unknown one: 404, same body")
    void anotherTenantsStreamIsUnknown() throws Exception {
        assertEquals(200, f.getAs(ACME, "/api/streams/s-1").statusCode());
        HttpResponse<String> other = f.getAs(ACME, "/api/streams/s-2");
        f.view.offerStream("s-2", null);
        HttpResponse<String> unknown = f.getAs(ADMIN, "/api/streams/s-2");
        assertEquals(404, other.statusCode());
        assertEquals(404, unknown.statusCode());
        assertEquals("{\"status\":404,\"error\":\"unknown stream \\\"s-2\\\"\"}", other.body());
        assertEquals(unknown.body(), other.body());
        assertEquals(withoutDate(unknown), withoutDate(other));
    }

    /** The headers but Date: two answers alike differ in nothing else. */
    private static Map<String, List<String>> withoutDate(HttpResponse<?> r) {
        Map<String, List<String>> m = new java.util.TreeMap<>(r.headers().map());
        m.remove("date");
        return m;
    }

    @Test
    @DisplayName("a tenant token lists the global group and its own: no model group, no other tenant's; another's key is a 404")
    void insightsAreFiltered() throws Exception {
        String global = "{\"ts\":1790000000000,\"group\":\"global\",\"name\":null,\"active\":2,\"tps\":35.1,\"system_tps\":160.2,"
                + "\"ttft_ms\":null,\"itl_ms\":null,\"tpot_ms\":null,\"started\":3,\"ended\":1}";
        String acme = "{\"ts\":1790000000000,\"group\":\"tenant\",\"name\":\"acme\",\"active\":1,\"tps\":77.7,\"system_tps\":77.7,"
                + "\"ttft_ms\":null,\"itl_ms\":null,\"tpot_ms\":null,\"started\":3,\"ended\":1}";
        assertEquals("[" + global + "," + acme + "]", f.getAs(ACME, "/api/insights").body());
        assertEquals("[" + acme + "]", f.getAs(ACME, "/api/insights?group=tenant").body());
        assertEquals("[]", f.getAs(ACME, "/api/insights?group=model").body());
        assertEquals(acme, f.getAs(ACME, "/api/insights?group=tenant:acme").body());
        HttpResponse<String> other = f.getAs(ACME, "/api/insights?group=tenant:beta");
        assertEquals(404, other.statusCode());
        assertEquals("{\"status\":404,\"error\":\"no insights for group tenant:beta\"}", other.body());
        assertEquals(f.getAs(ADMIN, "/api/insights?group=tenant:nobody").body().replace("nobody", "beta"), other.body());
        assertEquals(404, f.getAs(ACME, "/api/insights?group=model:llama-3-70b").statusCode());
    }

    @Test
    @DisplayName("a tenant token's /api/usage is its own tenant's (?tenant= it or none); another tenant in ?tenant= is a 403")
    void usageIsForcedToTheTenant() throws Exception {
        String own = "{\"window\":\"minute\",\"from\":\"2026-12-05T10:00:00Z\",\"to\":\"2026-12-05T11:00:00Z\",\"tenant\":\"acme\",\"model\":null,"
                + "\"windows\":[{\"tenant\":\"acme\",\"model\":\"llama-3-70b\",\"window_start\":\"2026-12-05T10:00:00Z\","
                + "\"window_end\":\"2026-12-05T10:01:00Z\",\"requests\":1,\"input_tokens\":7777,\"output_tokens\":1,\"reasoning_tokens\":0,"
                + "\"cached_input_tokens\":0,\"tokens\":7778,\"metered_requests\":0,\"records\":1}],"
                + "\"total\":{\"requests\":1,\"input_tokens\":7777,\"output_tokens\":1,\"reasoning_tokens\":0,\"cached_input_tokens\":0,"
                + "\"tokens\":7778,\"metered_requests\":0,\"records\":1}}";
        assertEquals(own, f.getAs(ACME, USAGE).body());
        assertEquals(own, f.getAs(ACME, USAGE + "&tenant=acme").body());
        HttpResponse<String> other = f.getAs(ACME, USAGE + "&tenant=beta");
        assertEquals(403, other.statusCode());
        assertEquals("{\"status\":403,\"error\":\"this token reads the usage of tenant \\\"acme\\\" only\"}", other.body());
        String summary = f.getAs(ACME, "/api/usage/summary").body();
        assertEquals(List.of("acme"), tenants(summary));
        assertEquals(List.of("acme", "beta"), tenants(f.getAs(ADMIN, "/api/usage/summary").body()));
    }

    @Test
    @DisplayName("/events takes the token as ?access_token= (EventSource sets no header); another tenant's ?stream= shows as unknown")
    void eventsTakeTheTokenInTheQuery() throws Exception {
        try (SseReader none = new SseReader(f.port, "/events", null)) {
            assertEquals(401, none.status());
        }
        try (SseReader own = new SseReader(f.port, "/events?stream=s-1&access_token=" + ACME, null);
             SseReader other = new SseReader(f.port, "/events?stream=s-2&access_token=" + ACME, null);
             SseReader unknown = new SseReader(f.port, "/events?stream=s-9", null, ACME);
             SseReader admin = new SseReader(f.port, "/events?stream=s-2", null, ADMIN)) {
            assertEquals(200, own.status());
            f.view.offerStats(stats("48.0", "52.1", "31.4", 2, T0 + 1000));
            await().atMost(Duration.ofSeconds(10)).until(() -> own.events().size() == 2 && other.events().size() == 2
                    && unknown.events().size() == 2 && admin.events().size() == 2);
            String seed = "{\"tps\":48.0,\"tps_available\":true,\"estimated\":false,\"high\":52.1,\"low\":31.4,\"active\":2,";
            assertEquals(seed + "\"stream_tps\":71.5,\"ttft_ms\":7140}", own.events().get(1).data());
            assertEquals(seed + "\"stream_tps\":null,\"ttft_ms\":null}", other.events().get(1).data());
            assertEquals(unknown.events().get(1).data(), other.events().get(1).data());
            assertEquals(seed + "\"stream_tps\":21.5,\"ttft_ms\":2140}", admin.events().get(1).data());
        }
    }

    @Test
    @DisplayName("a tenant token walking every path never sees another tenant's name or figures")
    void aTenantWalkingEveryPathSeesNothingOfAnother() throws Exception {
        Map<String, List<String>> variants = Map.of(
                "/api/insights", List.of("/api/insights", "/api/insights?group=global", "/api/insights?group=model",
                        "/api/insights?group=tenant", "/api/insights?group=tenant:beta"),
                "/api/streams/{id}", List.of("/api/streams/s-1", "/api/streams/s-2"),
                "/api/usage", List.of(USAGE, USAGE + "&tenant=beta", USAGE + "&model=llama-3-70b"));
        List<String> bodies = new ArrayList<>();
        for (String path : f.server.paths()) {
            if (path.equals("/events")) {
                for (String stream : List.of("s-1", "s-2")) {
                    try (SseReader sse = new SseReader(f.port, "/events?stream=" + stream, null, BETA)) {
                        await().atMost(Duration.ofSeconds(10)).until(() -> sse.events().size() == 1);
                        bodies.add(sse.events().get(0).data());
                    }
                }
                continue;
            }
            for (String p : variants.getOrDefault(path, List.of(path))) {
                HttpResponse<String> r = f.getAs(BETA, p);
                assertTrue(r.statusCode() < 500, p + ": " + r.statusCode());
                bodies.add(p + " -> " + r.body());
            }
        }
        assertEquals(21, bodies.size());
        for (String body : bodies) {
            for (String acme : List.of("acme", "77.7", "71.5", "7140", "7777")) {
                assertFalse(body.contains(acme), body);
            }
        }
        assertTrue(bodies.stream().anyMatch(b -> b.contains("\"name\":\"beta\"")), "beta sees its own group");
        assertTrue(bodies.stream().anyMatch(b -> b.contains("2222")), "beta sees its own usage");
    }

    /** The values of {@code "field":"..."} in a JSON body, in order. */
    private static List<String> values(String field, String body) {
        return java.util.regex.Pattern.compile("\"" + field + "\":\"([^\"]*)\"").matcher(body).results().map(m -> m.group(1)).toList();
    }

    private static List<String> groups(String insights) {
        return values("group", insights);
    }

    private static List<String> tenants(String summary) {
        return values("tenant", summary);
    }
}
