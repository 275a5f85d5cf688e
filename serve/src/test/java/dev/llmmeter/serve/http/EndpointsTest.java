package dev.llmmeter.serve.http;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

import static dev.llmmeter.serve.Records.T0;
import static dev.llmmeter.serve.Records.insight;
import static dev.llmmeter.serve.Records.quantiles;
import static dev.llmmeter.serve.Records.stats;
import static dev.llmmeter.serve.Records.stream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EndpointsTest {
    private final ServerFixture f = new ServerFixture();

    @AfterEach
    void close() {
        f.close();
    }

    @Test
    @DisplayName("/api/stats returns the latest tick as the stats topic carries it")
    void statsIsTheLatestTick() throws Exception {
        f.view.offerStats(stats("40.0", "41.0", "30.0", 3, T0 - 1000));
        f.view.offerStats(stats("47.3", "52.1", "31.4", 1, T0));

        HttpResponse<String> r = f.get("/api/stats");

        assertEquals(200, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow());
        assertEquals(java.util.Optional.empty(), r.headers().firstValue("Access-Control-Allow-Origin"));
        assertEquals("{\"tps\":47.3,\"tps_available\":true,\"estimated\":false,\"high\":52.1,\"low\":31.4,\"active\":1,\"ts\":1790000000000}", r.body());
    }

    @Test
    @DisplayName("/api/stats before any tick is a 503 with a JSON error")
    void statsBeforeAnyTick() throws Exception {
        HttpResponse<String> r = f.get("/api/stats");
        assertEquals(503, r.statusCode());
        assertEquals("{\"status\":503,\"error\":\"no stats record yet\"}", r.body());
    }

    @Test
    @DisplayName("/api/stats/history returns the ring's ticks, oldest first, each as the stats topic carries it; a repeat or a tick behind is not among them")
    void statsHistoryIsTheRing() throws Exception {
        assertEquals("[]", f.get("/api/stats/history").body());
        f.view.offerStats(stats("40.0", "41.0", "30.0", 3, T0 - 2000));
        f.view.offerStats(stats("45.5", "46.0", "30.0", 2, T0 - 1000));
        f.view.offerStats(stats("45.5", "46.0", "30.0", 2, T0 - 1000)); // a repeat: not delivered
        f.view.offerStats(stats("44.0", "46.0", "30.0", 2, T0 - 1500)); // behind: not delivered
        f.view.offerStats(stats("47.3", "52.1", "31.4", 1, T0));

        HttpResponse<String> r = f.get("/api/stats/history");

        assertEquals(200, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow());
        assertEquals("[{\"tps\":40.0,\"tps_available\":true,\"estimated\":false,\"high\":41.0,\"low\":30.0,\"active\":3,\"ts\":1789999998000},"
                + "{\"tps\":45.5,\"tps_available\":true,\"estimated\":false,\"high\":46.0,\"low\":30.0,\"active\":2,\"ts\":1789999999000},"
                + "{\"tps\":47.3,\"tps_available\":true,\"estimated\":false,\"high\":52.1,\"low\":31.4,\"active\":1,\"ts\":1790000000000}]",
                r.body());
    }

    @Test
    @DisplayName("/api/stats/history keeps the ring's size: the oldest tick leaves as a new one comes")
    void statsHistoryKeepsTheRingSize() throws Exception {
        try (ServerFixture small = new ServerFixture(new SseHub.Settings(2, 64, java.time.Duration.ofSeconds(15)))) {
            for (int i = 0; i < 3; i++) {
                small.view.offerStats(stats("4" + i + ".0", "50.0", "30.0", 1, T0 + i * 1000L));
            }
            assertEquals("[{\"tps\":41.0,\"tps_available\":true,\"estimated\":false,\"high\":50.0,\"low\":30.0,\"active\":1,\"ts\":1790000001000},"
                    + "{\"tps\":42.0,\"tps_available\":true,\"estimated\":false,\"high\":50.0,\"low\":30.0,\"active\":1,\"ts\":1790000002000}]",
                    small.get("/api/stats/history").body());
        }
    }

    @Test
    @DisplayName("/api/stats/history takes no parameters (400) and no method but GET (405), each answered in JSON")
    void statsHistoryErrors() throws Exception {
        HttpResponse<String> bad = f.get("/api/stats/history?since=1790000000000");
        assertEquals(400, bad.statusCode());
        assertEquals("{\"status\":400,\"error\":\"/api/stats/history takes no parameters\"}", bad.body());
        HttpResponse<String> post = f.send("POST", "/api/stats/history");
        assertEquals(405, post.statusCode());
        assertEquals("GET", post.headers().firstValue("Allow").orElseThrow());
        assertEquals("{\"status\":405,\"error\":\"method POST not allowed on /api/stats/history\"}", post.body());
    }

    @Test
    @DisplayName("/api/insights lists every group (global first), one kind, or one key; a record written before tpot_ms shows it null")
    void insightsByGroup() throws Exception {
        String ttft = quantiles(812.0, 1490.0, 2210.0, 14);
        f.view.offerInsight("tenant:acme", insight("tenant", "\"acme\"", 2, "33.0", "61.5", "null", "null", T0));
        f.view.offerInsight("model:llama", insight("model", "\"llama\"", 3, "35.2", "98.1", ttft, "null",
                quantiles(37.5, 41.2, 60.3, 8), T0));
        f.view.offerInsight("global", insight("global", "null", 5, "35.1", "160.2", ttft, "null", T0));

        String global = "{\"ts\":1790000000000,\"group\":\"global\",\"name\":null,\"active\":5,\"tps\":35.1,\"system_tps\":160.2,"
                + "\"ttft_ms\":{\"p50\":812.0,\"p90\":1490.0,\"p99\":2210.0,\"count\":14},\"itl_ms\":null,\"tpot_ms\":null,\"started\":3,\"ended\":1}";
        String model = "{\"ts\":1790000000000,\"group\":\"model\",\"name\":\"llama\",\"active\":3,\"tps\":35.2,\"system_tps\":98.1,"
                + "\"ttft_ms\":{\"p50\":812.0,\"p90\":1490.0,\"p99\":2210.0,\"count\":14},\"itl_ms\":null,"
                + "\"tpot_ms\":{\"p50\":37.5,\"p90\":41.2,\"p99\":60.3,\"count\":8},\"started\":3,\"ended\":1}";
        String tenant = "{\"ts\":1790000000000,\"group\":\"tenant\",\"name\":\"acme\",\"active\":2,\"tps\":33.0,\"system_tps\":61.5,"
                + "\"ttft_ms\":null,\"itl_ms\":null,\"tpot_ms\":null,\"started\":3,\"ended\":1}";
        assertEquals("[" + global + "," + model + "," + tenant + "]", f.get("/api/insights").body());
        assertEquals("[" + model + "]", f.get("/api/insights?group=model").body());
        assertEquals(tenant, f.get("/api/insights?group=tenant:acme").body());
        assertEquals(global, f.get("/api/insights?group=global").body());
    }

    @Test
    @DisplayName("/api/insights prints a large rate as the topic carries it, as Python prints it: 12345678.9, 1e+16")
    void insightsKeepPythonsFloatFormat() throws Exception {
        f.view.offerInsight("global", insight("global", "null", 5, "12345678.9", "1e+16", "null", "null", T0));
        String global = "{\"ts\":1790000000000,\"group\":\"global\",\"name\":null,\"active\":5,\"tps\":12345678.9,"
                + "\"system_tps\":1e+16,\"ttft_ms\":null,\"itl_ms\":null,\"tpot_ms\":null,\"started\":3,\"ended\":1}";
        assertEquals("[" + global + "]", f.get("/api/insights").body());
        assertEquals(global, f.get("/api/insights?group=global").body());
    }

    @Test
    @DisplayName("/api/insights of a group with no record is a 404; a malformed group a 400")
    void insightsErrors() throws Exception {
        HttpResponse<String> unknown = f.get("/api/insights?group=model:gpt-9");
        assertEquals(404, unknown.statusCode());
        assertEquals("{\"status\":404,\"error\":\"no insights for group model:gpt-9\"}", unknown.body());

        HttpResponse<String> bad = f.get("/api/insights?group=region:eu");
        assertEquals(400, bad.statusCode());
        assertEquals("application/json", bad.headers().firstValue("Content-Type").orElseThrow());
        assertEquals("{\"status\":400,\"error\":\"group must be global, model, tenant, model:<name> or tenant:<name>"
                + " (name 1-256 characters), got \\\"region:eu\\\"\"}", bad.body());
        assertEquals(400, f.get("/api/insights?group=model:").statusCode());
        assertEquals(400, f.get("/api/insights?group=").statusCode());
    }

    @Test
    @DisplayName("/api/streams/{id} returns the stream's latest record byte for byte; a tombstone forgets it")
    void streamRecord() throws Exception {
        f.view.offerStream("s-1", stream("s-1", "active", "31.5", "640", T0 - 1000));
        f.view.offerStream("s-1", stream("s-1", "ended", "32.0", "640", T0));

        HttpResponse<String> r = f.get("/api/streams/s-1");
        assertEquals(200, r.statusCode());
        // a record written before tpot_ms and input is served with them null
        assertEquals(new String(stream("s-1", "ended", "32.0", "640", T0), StandardCharsets.UTF_8).replace("}", ",\"tpot_ms\":null,\"input\":null}"),
                r.body());

        f.view.offerStream("s-1", null);
        assertEquals(404, f.get("/api/streams/s-1").statusCode());
    }

    @Test
    @DisplayName("an unknown stream is a 404 with a JSON error")
    void unknownStream() throws Exception {
        HttpResponse<String> r = f.get("/api/streams/nope");
        assertEquals(404, r.statusCode());
        assertEquals("{\"status\":404,\"error\":\"unknown stream \\\"nope\\\"\"}", r.body());
    }

    @Test
    @DisplayName("an unknown path is a 404 with a JSON error")
    void unknownPath() throws Exception {
        HttpResponse<String> r = f.get("/api/nothing-here?x=1");
        assertEquals(404, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow());
        assertEquals("{\"status\":404,\"error\":\"no such path: /api/nothing-here\"}", r.body());
        assertEquals("{\"status\":404,\"error\":\"no such path: /webjars/uplot/0.0.0/nothing.js\"}",
                f.get("/webjars/uplot/0.0.0/nothing.js").body());
    }

    @Test
    @DisplayName("a method a path does not take is answered in JSON")
    void wrongMethod() throws Exception {
        HttpResponse<String> r = f.send("POST", "/api/stats");
        assertTrue(r.statusCode() == 404 || r.statusCode() == 405, "status " + r.statusCode());
        assertTrue(r.body().startsWith("{\"status\":" + r.statusCode() + ",\"error\":"), r.body());
        HttpResponse<String> events = f.send("DELETE", "/events");
        assertEquals(405, events.statusCode());
        assertEquals("{\"status\":405,\"error\":\"method DELETE not allowed on /events\"}", events.body());
    }

    @Test
    @DisplayName("/events with an empty or overlong stream id is a 400 with a JSON error")
    void eventsBadStream() throws Exception {
        HttpResponse<String> r = f.get("/events?stream=");
        assertEquals(400, r.statusCode());
        assertEquals("{\"status\":400,\"error\":\"stream must be 1-256 characters, got 0\"}", r.body());
        assertEquals("{\"status\":400,\"error\":\"stream must be 1-256 characters, got 257\"}",
                f.get("/events?stream=" + "x".repeat(257)).body());
    }

    @Test
    @DisplayName("a request Jetty itself rejects still gets a JSON error and no stack trace")
    void malformedRequestLine() throws Exception {
        try (Socket s = new Socket("127.0.0.1", f.port)) {
            OutputStream out = s.getOutputStream();
            out.write("GET /api/streams/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 400 "), response);
            assertTrue(response.contains("Content-Type: application/json"), response);
            assertTrue(response.endsWith("{\"status\":400,\"error\":\"bad request\"}"), response);
            assertFalse(response.contains("Exception"), response);
        }
    }

    @Test
    @DisplayName("/healthz answers while the process serves; /readyz follows the feed")
    void probes() throws Exception {
        assertEquals("{\"status\":\"ok\"}", f.get("/healthz").body());

        f.notReady.set("catching up with [metering.stats]");
        HttpResponse<String> notReady = f.get("/readyz");
        assertEquals(503, notReady.statusCode());
        assertEquals("{\"status\":\"not ready\",\"reason\":\"catching up with [metering.stats]\"}", notReady.body());

        f.notReady.set(null);
        HttpResponse<String> ready = f.get("/readyz");
        assertEquals(200, ready.statusCode());
        assertEquals("{\"status\":\"ready\"}", ready.body());
    }

    @Test
    @DisplayName("/ is the dashboard, and uPlot comes from its WebJar in the jar")
    void dashboardAndChartLibrary() throws Exception {
        HttpResponse<String> page = f.get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElseThrow().startsWith("text/html"));
        assertTrue(page.body().contains("<script src=\"/webjars/uplot/1.6.30/dist/uPlot.iife.min.js\"></script>"));
        HttpResponse<String> lib = f.get("/webjars/uplot/1.6.30/dist/uPlot.iife.min.js");
        assertEquals(200, lib.statusCode());
        assertTrue(lib.body().contains("uPlot"));
        assertEquals(200, f.get("/dashboard.js").statusCode());
    }
}
