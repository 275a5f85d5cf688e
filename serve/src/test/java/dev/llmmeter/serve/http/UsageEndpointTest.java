package dev.llmmeter.serve.http;

import dev.llmmeter.contract.Usage;
import dev.llmmeter.serve.usage.UsageLedgerView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UsageEndpointTest {
    /** 2026-12-05T10:00:00Z */
    static final long H10 = 1_796_464_800_000L;
    static final String SRC = "/llm-metering/test";

    private final ServerFixture f = new ServerFixture();
    private final UsageLedgerView ledger = new UsageLedgerView(100_000, 2);
    private final AtomicReference<String> notReady = new AtomicReference<>();
    private final AtomicLong invalid = new AtomicLong();

    UsageEndpointTest() {
        f.server.usage(ledger, notReady::get, invalid::get);
    }

    @AfterEach
    void close() {
        f.close();
    }

    static Usage usage(String id, String tenant, String model, long start, long in, long out, String amends) {
        return new Usage(id, SRC, tenant, model, Usage.Window.MINUTE, start, start + 60_000, 1, BigInteger.valueOf(in),
                BigInteger.valueOf(out), BigInteger.valueOf(3), BigInteger.valueOf(4), 0, amends);
    }

    @Test
    @DisplayName("GET /api/usage: the selected windows, amendments summed, and their total, as exact JSON")
    void usageAnswersTheWindows() throws Exception {
        ledger.offer(usage("a", "acme", "m1", H10, 100, 10, null));
        ledger.offer(usage("b", "acme", "m1", H10, 1, 1, "a"));
        ledger.offer(usage("c", "beta", "m1", H10, 5, 5, null));
        HttpResponse<String> r = f.get("/api/usage?tenant=acme&from=2026-12-05T10:00:00Z&to=" + (H10 + 3_600_000) + "&window=minute");
        assertEquals(200, r.statusCode());
        assertEquals("{\"window\":\"minute\",\"from\":\"2026-12-05T10:00:00Z\",\"to\":\"2026-12-05T11:00:00Z\",\"tenant\":\"acme\",\"model\":null,"
                + "\"windows\":[{\"tenant\":\"acme\",\"model\":\"m1\",\"window_start\":\"2026-12-05T10:00:00Z\",\"window_end\":\"2026-12-05T10:01:00Z\","
                + "\"requests\":2,\"input_tokens\":101,\"output_tokens\":11,\"reasoning_tokens\":6,\"cached_input_tokens\":8,\"tokens\":118,"
                + "\"metered_requests\":0,\"records\":2}],"
                + "\"total\":{\"requests\":2,\"input_tokens\":101,\"output_tokens\":11,\"reasoning_tokens\":6,\"cached_input_tokens\":8,\"tokens\":118,"
                + "\"metered_requests\":0,\"records\":2}}", r.body());
    }

    @Test
    @DisplayName("bad parameters are a 400 with a JSON error, also before the ledger is read")
    void badParametersAre400() throws Exception {
        notReady.set("reading the usage ledger metering.usage up to its end");
        HttpResponse<String> r = f.get("/api/usage?from=5&to=5");
        assertEquals(400, r.statusCode());
        assertEquals("{\"status\":400,\"error\":\"from must be before to\"}", r.body());
        assertEquals(400, f.get("/api/usage?from=0&to=1&window=day").statusCode());
        assertEquals("{\"status\":400,\"error\":\"unknown parameter \\\"x\\\"; known: tenant, model, from, to, window\"}",
                f.get("/api/usage?x=1").body());
    }

    @Test
    @DisplayName("503 until the ledger topic has been read up to its end once, the reason in the body")
    void unavailableUntilCaughtUp() throws Exception {
        notReady.set("reading the usage ledger metering.usage up to its end");
        HttpResponse<String> r = f.get("/api/usage?from=0&to=1");
        assertEquals(503, r.statusCode());
        assertEquals("{\"status\":503,\"error\":\"reading the usage ledger metering.usage up to its end\"}", r.body());
        assertEquals(503, f.get("/api/usage/summary").statusCode());
        notReady.set(null);
        assertEquals(200, f.get("/api/usage?from=0&to=1").statusCode());
    }

    static String totals(long requests, long in, long out, long reasoning, long cached, long tokens, long records) {
        return "{\"requests\":" + requests + ",\"input_tokens\":" + in + ",\"output_tokens\":" + out + ",\"reasoning_tokens\":" + reasoning
                + ",\"cached_input_tokens\":" + cached + ",\"tokens\":" + tokens + ",\"metered_requests\":0,\"records\":" + records + "}";
    }

    @Test
    @DisplayName("GET /api/usage/summary: each tenant's tokens in the hour and the UTC day of the newest window, amendments summed, other days left out")
    void summaryAnswersEachTenant() throws Exception {
        ledger.offer(usage("a", "acme", "m1", H10 - 2 * 3_600_000, 100, 20, null));    // today, 08:00: the day only
        ledger.offer(usage("b", "acme", "m1", H10 + 5 * 60_000, 10, 2, null));         // 10:05: hour and day
        ledger.offer(usage("c", "acme", "m1", H10 + 5 * 60_000, 1, 1, "b"));           // its amendment, summed in
        ledger.offer(usage("d", "beta", "m1", H10 + 10 * 60_000, 7, 3, null));         // 10:10, the newest: ends 10:11
        ledger.offer(usage("e", "beta", "m1", H10 - 10 * 3_600_000 - 60_000, 1000, 1000, null)); // yesterday 23:59: out
        HttpResponse<String> r = f.get("/api/usage/summary");
        assertEquals(200, r.statusCode());
        // each record: 1 request, 3 reasoning and 4 cached input tokens; tokens = input + output + reasoning
        assertEquals("{\"as_of\":\"2026-12-05T10:11:00Z\",\"hour_start\":\"2026-12-05T10:00:00Z\",\"day_start\":\"2026-12-05T00:00:00Z\","
                + "\"complete\":true,\"tenants\":["
                + "{\"tenant\":\"acme\",\"hour\":" + totals(2, 11, 3, 6, 8, 20, 2) + ",\"day\":" + totals(3, 111, 23, 9, 12, 143, 3) + "},"
                + "{\"tenant\":\"beta\",\"hour\":" + totals(1, 7, 3, 3, 4, 13, 1) + ",\"day\":" + totals(1, 7, 3, 3, 4, 13, 1) + "}]}",
                r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow());
        assertEquals(400, f.get("/api/usage/summary?tenant=acme").statusCode());
    }

    @Test
    @DisplayName("GET /api/usage/summary: a (tenant, model) pair beyond the view's label bound is summed under tenant other")
    void summaryFoldsTenantsBeyondTheBound() throws Exception {
        ledger.offer(usage("a", "acme", "m1", H10, 10, 0, null));
        ledger.offer(usage("b", "beta", "m1", H10, 20, 0, null));
        ledger.offer(usage("c", "gamma", "m1", H10, 30, 0, null)); // a third pair; the bound here is 2
        String body = f.get("/api/usage/summary").body();
        assertEquals("{\"as_of\":\"2026-12-05T10:01:00Z\",\"hour_start\":\"2026-12-05T10:00:00Z\",\"day_start\":\"2026-12-05T00:00:00Z\","
                + "\"complete\":true,\"tenants\":["
                + "{\"tenant\":\"acme\",\"hour\":" + totals(1, 10, 0, 3, 4, 13, 1) + ",\"day\":" + totals(1, 10, 0, 3, 4, 13, 1) + "},"
                + "{\"tenant\":\"beta\",\"hour\":" + totals(1, 20, 0, 3, 4, 23, 1) + ",\"day\":" + totals(1, 20, 0, 3, 4, 23, 1) + "},"
                + "{\"tenant\":\"other\",\"hour\":" + totals(1, 30, 0, 3, 4, 33, 1) + ",\"day\":" + totals(1, 30, 0, 3, 4, 33, 1) + "}]}",
                body);
    }

    @Test
    @DisplayName("GET /api/usage/summary of an empty ledger: no instants, no tenants")
    void summaryOfAnEmptyLedger() throws Exception {
        assertEquals("{\"as_of\":null,\"hour_start\":null,\"day_start\":null,\"complete\":true,\"tenants\":[]}",
                f.get("/api/usage/summary").body());
    }

    @Test
    @DisplayName("/metrics: token and request counters per model, tenant and token type; pairs beyond the bound under other")
    void metricsCountTokensPerTenantModelAndType() throws Exception {
        ledger.offer(usage("a", "acme", "m1", H10, 100, 10, null));
        ledger.offer(usage("b", "acme", "m1", H10, 1, 1, "a"));
        ledger.offer(usage("c", "beta", "m1", H10, 5, 5, null));
        ledger.offer(usage("d", "gamma", "m2", H10, 7, 7, null));
        invalid.set(2);
        List<String> lines = f.get("/metrics").body().lines().filter(l -> l.startsWith("llm_metering_usage_")
                || l.startsWith("llm_metering_serve_usage_") || l.startsWith("llm_metering_serve_invalid_usage")).toList();
        assertEquals(List.of(
                "llm_metering_usage_tokens_total{model=\"m1\",tenant=\"acme\",type=\"cached_input\"} 8.0",
                "llm_metering_usage_tokens_total{model=\"m1\",tenant=\"acme\",type=\"input\"} 101.0",
                "llm_metering_usage_tokens_total{model=\"m1\",tenant=\"acme\",type=\"output\"} 11.0",
                "llm_metering_usage_tokens_total{model=\"m1\",tenant=\"acme\",type=\"reasoning\"} 6.0",
                "llm_metering_usage_tokens_total{model=\"m1\",tenant=\"beta\",type=\"cached_input\"} 4.0",
                "llm_metering_usage_tokens_total{model=\"m1\",tenant=\"beta\",type=\"input\"} 5.0",
                "llm_metering_usage_tokens_total{model=\"m1\",tenant=\"beta\",type=\"output\"} 5.0",
                "llm_metering_usage_tokens_total{model=\"m1\",tenant=\"beta\",type=\"reasoning\"} 3.0",
                "llm_metering_usage_tokens_total{model=\"other\",tenant=\"other\",type=\"cached_input\"} 4.0",
                "llm_metering_usage_tokens_total{model=\"other\",tenant=\"other\",type=\"input\"} 7.0",
                "llm_metering_usage_tokens_total{model=\"other\",tenant=\"other\",type=\"output\"} 7.0",
                "llm_metering_usage_tokens_total{model=\"other\",tenant=\"other\",type=\"reasoning\"} 3.0"),
                lines.stream().filter(l -> l.startsWith("llm_metering_usage_tokens_total")).toList());
        assertEquals(List.of(
                "llm_metering_usage_requests_total{model=\"m1\",tenant=\"acme\"} 2.0",
                "llm_metering_usage_requests_total{model=\"m1\",tenant=\"beta\"} 1.0",
                "llm_metering_usage_requests_total{model=\"other\",tenant=\"other\"} 1.0"),
                lines.stream().filter(l -> l.startsWith("llm_metering_usage_requests_total")).toList());
        assertTrue(lines.contains("llm_metering_serve_usage_records 4.0"), lines.toString());
        assertTrue(lines.contains("llm_metering_serve_usage_dropped_windows_total 0.0"), lines.toString());
        assertTrue(lines.contains("llm_metering_serve_invalid_usage_records_total 2.0"), lines.toString());
    }
}
