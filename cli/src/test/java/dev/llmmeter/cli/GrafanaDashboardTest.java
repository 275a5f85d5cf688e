package dev.llmmeter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** docs/grafana/llm-metering.json: an importable dashboard whose every query selects metrics {@code /metrics} emits. */
public class GrafanaDashboardTest {
    public static final Path DASHBOARD = ComposeFileTest.ROOT.resolve("docs/grafana/llm-metering.json");

    @TempDir
    Path state;

    /** Each panel's title to its queries' expressions, in order. */
    public static Map<String, List<String>> panelExprs() throws Exception {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (JsonNode panel : new ObjectMapper().readTree(DASHBOARD.toFile()).path("panels")) {
            List<String> exprs = new ArrayList<>();
            for (JsonNode target : panel.path("targets")) {
                exprs.add(target.path("expr").asText(""));
            }
            out.put(panel.path("title").asText(), exprs);
        }
        return out;
    }

    @Test
    @DisplayName("schema 39, one Prometheus datasource input that every panel and query uses, and the heatmaps read the gen_ai histograms' buckets")
    void importableWithOnePrometheusInput() throws Exception {
        JsonNode d = new ObjectMapper().readTree(DASHBOARD.toFile());
        assertEquals(39, d.path("schemaVersion").asInt());
        assertEquals(1, d.path("__inputs").size());
        assertEquals("DS_PROMETHEUS", d.path("__inputs").get(0).path("name").asText());
        assertEquals("prometheus", d.path("__inputs").get(0).path("pluginId").asText());
        for (JsonNode panel : d.path("panels")) {
            assertEquals("${DS_PROMETHEUS}", panel.path("datasource").path("uid").asText(), panel.path("title").asText());
            for (JsonNode target : panel.path("targets")) {
                assertEquals("${DS_PROMETHEUS}", target.path("datasource").path("uid").asText(), panel.path("title").asText());
            }
            if (panel.path("type").asText().equals("heatmap")) {
                assertEquals("heatmap", panel.path("targets").get(0).path("format").asText(), panel.path("title").asText());
            }
        }
        assertEquals(List.of("Tokens per second, with the hour's band", "Goodput", "SLO attainment per model (last minute)",
                "SLO attainment per tenant (last minute)", "Time to first token", "Time per output token", "Token usage",
                "Dead letters and misrouted records"), List.copyOf(panelExprs().keySet()));
    }

    @Test
    @DisplayName("every panel has a PromQL query, and every metric those select is one /metrics, as bin/metering run serves it, emits")
    void everyPanelQueriesMetricsThatAreEmitted() throws Exception {
        Set<String> used = new TreeSet<>();
        panelExprs().forEach((title, exprs) -> {
            assertFalse(exprs.isEmpty(), title + " has no query");
            for (String expr : exprs) {
                Set<String> names = PromQl.metricNames(expr);
                assertFalse(names.isEmpty(), title + ": no metric in " + expr);
                used.addAll(names);
            }
        });
        assertEquals(Set.of("gen_ai_client_token_usage_sum", "gen_ai_server_time_per_output_token_seconds_bucket",
                "gen_ai_server_time_to_first_token_seconds_bucket", "kafka_stream_metering_misrouted_records_total",
                "kafka_stream_metering_dead_letters_total", "llm_metering_goodput_tokens_per_second", "llm_metering_slo_attainment_ratio",
                "llm_metering_system_tokens_per_second", "llm_metering_tokens_per_second", "llm_metering_tokens_per_second_high",
                "llm_metering_tokens_per_second_low"), used);
        Set<String> missing = new TreeSet<>(used);
        missing.removeAll(RunExposition.sampleNames(RunExposition.render(state)));
        assertEquals(Set.of(), missing, "queried by the dashboard, not on /metrics");
    }
}
