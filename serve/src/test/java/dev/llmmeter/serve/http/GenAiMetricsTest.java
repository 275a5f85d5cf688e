package dev.llmmeter.serve.http;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.llmmeter.serve.Records.T0;
import static dev.llmmeter.serve.Records.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The GenAI semantic conventions' histograms on {@code GET /metrics}, fed by the view's final stream records. */
class GenAiMetricsTest {
    private final ServerFixture f = new ServerFixture();

    @AfterEach
    void close() {
        f.close();
    }

    /** A metering.streams value; ttftMs a JSON literal ("null" for none). */
    static byte[] stream(String id, String model, String tenant, String state, long output, long reasoning, String ttftMs) {
        return bytes("{\"stream_id\":\"" + id + "\",\"model\":" + model + ",\"tenant\":\"" + tenant + "\",\"state\":\"" + state
                + "\",\"tps\":null,\"output\":" + output + ",\"reasoning\":" + reasoning + ",\"ttft_ms\":" + ttftMs
                + ",\"decode_ms\":null,\"begin_ts\":" + (T0 - 5000) + ",\"ts\":" + T0 + "}");
    }

    /** An ended metering.streams value with the final record's tpot_ms and input (JSON literals). */
    static byte[] ended(String id, String state, String tpotMs, String input) {
        return bytes("{\"stream_id\":\"" + id + "\",\"model\":\"llama\",\"tenant\":\"acme\",\"state\":\"" + state
                + "\",\"tps\":null,\"output\":40,\"reasoning\":0,\"ttft_ms\":300,\"decode_ms\":2000,\"begin_ts\":" + (T0 - 5000)
                + ",\"ts\":" + T0 + ",\"tpot_ms\":" + tpotMs + ",\"input\":" + input + "}");
    }

    private List<String> lines(String prefix) throws Exception {
        return f.get("/metrics").body().lines().filter(l -> l.startsWith(prefix)).toList();
    }

    @Test
    @DisplayName("ended streams' TTFT land in the advised seconds buckets: 0.3 s under le=0.5, 1.2 s under le=2.5, with exact _sum and _count")
    void ttftBuckets() throws Exception {
        f.view.offerStream("s1", stream("s1", "\"llama\"", "acme", "ended", 120, 0, "300"));
        f.view.offerStream("s2", stream("s2", "\"llama\"", "acme", "ended", 30, 10, "1200"));

        assertEquals(List.of(
                "gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_request_model=\"llama\",tenant=\"acme\",le=\"0.001\"} 0",
                "gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_request_model=\"llama\",tenant=\"acme\",le=\"0.005\"} 0",
                "gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_request_model=\"llama\",tenant=\"acme\",le=\"0.01\"} 0",
                "gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_request_model=\"llama\",tenant=\"acme\",le=\"0.02\"} 0",
                "gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_request_model=\"llama\",tenant=\"acme\",le=\"0.04\"} 0",
                "gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_request_model=\"llama\",tenant=\"acme\",le=\"0.06\"} 0",
                "gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_request_model=\"llama\",tenant=\"acme\",le=\"0.08\"} 0",
                "gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_request_model=\"llama\",tenant=\"acme\",le=\"0.1\"} 0",
                "gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_request_model=\"llama\",tenant=\"acme\",le=\"0.25\"} 0",
                "gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_request_model=\"llama\",tenant=\"acme\",le=\"0.5\"} 1",
                "gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_request_model=\"llama\",tenant=\"acme\",le=\"0.75\"} 1",
                "gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_request_model=\"llama\",tenant=\"acme\",le=\"1.0\"} 1",
                "gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_request_model=\"llama\",tenant=\"acme\",le=\"2.5\"} 2",
                "gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_request_model=\"llama\",tenant=\"acme\",le=\"5.0\"} 2",
                "gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_request_model=\"llama\",tenant=\"acme\",le=\"7.5\"} 2",
                "gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_request_model=\"llama\",tenant=\"acme\",le=\"10.0\"} 2",
                "gen_ai_server_time_to_first_token_seconds_bucket{gen_ai_request_model=\"llama\",tenant=\"acme\",le=\"+Inf\"} 2",
                "gen_ai_server_time_to_first_token_seconds_count{gen_ai_request_model=\"llama\",tenant=\"acme\"} 2",
                "gen_ai_server_time_to_first_token_seconds_sum{gen_ai_request_model=\"llama\",tenant=\"acme\"} 1.5"),
                lines("gen_ai_server_time_to_first_token_seconds_"));
    }

    @Test
    @DisplayName("each final stream's output plus reasoning tokens land in the advised token buckets under gen_ai_token_type=\"output\"")
    void tokenBuckets() throws Exception {
        f.view.offerStream("s1", stream("s1", "\"llama\"", "acme", "ended", 120, 0, "300"));
        f.view.offerStream("s2", stream("s2", "\"llama\"", "acme", "ended", 30, 10, "1200"));

        List<String> got = lines("gen_ai_client_token_usage_");
        String l = "{gen_ai_request_model=\"llama\",gen_ai_token_type=\"output\",tenant=\"acme\"";
        assertEquals(List.of(
                "gen_ai_client_token_usage_bucket" + l + ",le=\"1.0\"} 0",
                "gen_ai_client_token_usage_bucket" + l + ",le=\"4.0\"} 0",
                "gen_ai_client_token_usage_bucket" + l + ",le=\"16.0\"} 0",
                "gen_ai_client_token_usage_bucket" + l + ",le=\"64.0\"} 1",
                "gen_ai_client_token_usage_bucket" + l + ",le=\"256.0\"} 2"), got.subList(0, 5));
        assertEquals(List.of(
                "gen_ai_client_token_usage_bucket" + l + ",le=\"+Inf\"} 2",
                "gen_ai_client_token_usage_count" + l + "} 2",
                "gen_ai_client_token_usage_sum" + l + "} 160.0"), got.subList(got.size() - 3, got.size()));
        assertEquals(14 + 3, got.size()); // the 14 advised bounds, +Inf, _count, _sum
    }

    @Test
    @DisplayName("a final record delivered twice counts once (and in the repeats counter); active records count nothing")
    void duplicateFinalCountsOnce() throws Exception {
        f.view.offerStream("s1", stream("s1", "\"llama\"", "acme", "active", 50, 0, "300"));
        f.view.offerStream("s1", stream("s1", "\"llama\"", "acme", "ended", 120, 0, "300"));
        f.view.offerStream("s1", stream("s1", "\"llama\"", "acme", "ended", 120, 0, "300"));

        assertEquals(List.of("gen_ai_server_time_to_first_token_seconds_count{gen_ai_request_model=\"llama\",tenant=\"acme\"} 1"),
                lines("gen_ai_server_time_to_first_token_seconds_count"));
        assertEquals(List.of("gen_ai_client_token_usage_sum{gen_ai_request_model=\"llama\",gen_ai_token_type=\"output\",tenant=\"acme\"} 120.0"),
                lines("gen_ai_client_token_usage_sum"));
        assertEquals(List.of("llm_metering_serve_genai_repeated_final_records_total 1.0"), lines("llm_metering_serve_genai_repeated_final_records_total"));
    }

    @Test
    @DisplayName("active records alone add no sample")
    void activeCountsNothing() throws Exception {
        f.view.offerStream("s1", stream("s1", "\"llama\"", "acme", "active", 50, 0, "300"));
        assertEquals(List.of(), lines("gen_ai_server_time_to_first_token_seconds_count"));
        assertEquals(List.of(), lines("gen_ai_client_token_usage_count"));
    }

    @Test
    @DisplayName("a stream without output adds its tokens (0, under le=1) and no TTFT; a stale or expired one adds its tokens and no TTFT")
    void noTtft() throws Exception {
        f.view.offerStream("quiet", stream("quiet", "\"llama\"", "acme", "ended", 0, 0, "null"));
        f.view.offerStream("stale", stream("stale", "\"llama\"", "acme", "stale", 7, 0, "250"));
        f.view.offerStream("expired", stream("expired", "null", "acme", "expired", 0, 0, "null"));

        assertEquals(List.of(), lines("gen_ai_server_time_to_first_token_seconds_count"));
        assertEquals(List.of(
                "gen_ai_client_token_usage_count{gen_ai_request_model=\"llama\",gen_ai_token_type=\"output\",tenant=\"acme\"} 2",
                "gen_ai_client_token_usage_count{gen_ai_request_model=\"null\",gen_ai_token_type=\"output\",tenant=\"acme\"} 1"),
                lines("gen_ai_client_token_usage_count"));
        assertEquals(List.of(
                "gen_ai_client_token_usage_bucket{gen_ai_request_model=\"llama\",gen_ai_token_type=\"output\",tenant=\"acme\",le=\"1.0\"} 1",
                "gen_ai_client_token_usage_bucket{gen_ai_request_model=\"null\",gen_ai_token_type=\"output\",tenant=\"acme\",le=\"1.0\"} 1"),
                lines("gen_ai_client_token_usage_bucket").stream().filter(x -> x.contains("le=\"1.0\"")).toList());
    }

    @Test
    @DisplayName("final records read as history (written before serve started) count nothing, nor do their repeats read live")
    void historyNotCounted() throws Exception {
        f.view.offerStream("old", stream("old", "\"llama\"", "acme", "ended", 120, 0, "300"), true);
        f.view.offerStream("old", stream("old", "\"llama\"", "acme", "ended", 120, 0, "300"), false);
        f.view.offerStream("new", stream("new", "\"llama\"", "acme", "ended", 9, 0, "40"), false);

        assertEquals(List.of("gen_ai_server_time_to_first_token_seconds_sum{gen_ai_request_model=\"llama\",tenant=\"acme\"} 0.04"),
                lines("gen_ai_server_time_to_first_token_seconds_sum"));
        assertEquals(List.of("gen_ai_client_token_usage_count{gen_ai_request_model=\"llama\",gen_ai_token_type=\"output\",tenant=\"acme\"} 1"),
                lines("gen_ai_client_token_usage_count"));
    }

    @Test
    @DisplayName("ended streams' time per output token land in the advised seconds buckets: 37.5 ms under le=0.05, 120 ms under le=0.15; a stale one's and a null one add none")
    void tpotBuckets() throws Exception {
        f.view.offerStream("s1", ended("s1", "ended", "37.5", "1200"));
        f.view.offerStream("s2", ended("s2", "ended", "120.0", "0"));
        f.view.offerStream("s3", ended("s3", "stale", "50.0", "null"));
        f.view.offerStream("s4", ended("s4", "ended", "null", "7"));

        String l = "gen_ai_server_time_per_output_token_seconds_bucket{gen_ai_request_model=\"llama\",tenant=\"acme\",le=\"";
        assertEquals(List.of(
                l + "0.01\"} 0", l + "0.025\"} 0", l + "0.05\"} 1", l + "0.075\"} 1", l + "0.1\"} 1", l + "0.15\"} 2",
                l + "0.2\"} 2", l + "0.3\"} 2", l + "0.4\"} 2", l + "0.5\"} 2", l + "0.75\"} 2", l + "1.0\"} 2", l + "2.5\"} 2",
                l + "+Inf\"} 2",
                "gen_ai_server_time_per_output_token_seconds_count{gen_ai_request_model=\"llama\",tenant=\"acme\"} 2",
                "gen_ai_server_time_per_output_token_seconds_sum{gen_ai_request_model=\"llama\",tenant=\"acme\"} 0.1575"),
                lines("gen_ai_server_time_per_output_token_seconds_"));
    }

    @Test
    @DisplayName("each ended stream's input tokens land under gen_ai_token_type=\"input\" (0 under le=1); a stale one has none")
    void inputTokens() throws Exception {
        f.view.offerStream("s1", ended("s1", "ended", "37.5", "1200"));
        f.view.offerStream("s2", ended("s2", "ended", "120.0", "0"));
        f.view.offerStream("s3", ended("s3", "stale", "50.0", "null"));

        String l = "{gen_ai_request_model=\"llama\",gen_ai_token_type=\"input\",tenant=\"acme\"";
        List<String> got = lines("gen_ai_client_token_usage_").stream().filter(x -> x.contains("\"input\"")).toList();
        assertEquals(List.of(
                "gen_ai_client_token_usage_bucket" + l + ",le=\"1.0\"} 1",
                "gen_ai_client_token_usage_bucket" + l + ",le=\"4.0\"} 1",
                "gen_ai_client_token_usage_bucket" + l + ",le=\"16.0\"} 1",
                "gen_ai_client_token_usage_bucket" + l + ",le=\"64.0\"} 1",
                "gen_ai_client_token_usage_bucket" + l + ",le=\"256.0\"} 1",
                "gen_ai_client_token_usage_bucket" + l + ",le=\"1024.0\"} 1",
                "gen_ai_client_token_usage_bucket" + l + ",le=\"4096.0\"} 2"), got.subList(0, 7));
        assertEquals(List.of(
                "gen_ai_client_token_usage_count" + l + "} 2",
                "gen_ai_client_token_usage_sum" + l + "} 1200.0"), got.subList(got.size() - 2, got.size()));
        assertEquals(List.of("gen_ai_client_token_usage_count{gen_ai_request_model=\"llama\",gen_ai_token_type=\"output\",tenant=\"acme\"} 3"),
                lines("gen_ai_client_token_usage_count{gen_ai_request_model=\"llama\",gen_ai_token_type=\"output\""));
    }
}
