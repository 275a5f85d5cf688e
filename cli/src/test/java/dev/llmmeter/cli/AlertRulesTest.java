package dev.llmmeter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.llmmeter.serve.metrics.Promtool;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The alerting rules of docs/alerts through Prometheus' own tools (Debian's {@code prometheus} package; absent, the
 * test fails), and every metric they query is one {@code /metrics} emits.
 */
public class AlertRulesTest {
    public static final Path ALERTS = ComposeFileTest.ROOT.resolve("docs/alerts");
    public static final String RULES = "llm-metering.rules.yml";

    @TempDir
    Path state;

    @Test
    @DisplayName("promtool check rules finds the four rules of docs/alerts valid")
    void promtoolCheckRulesPasses() throws Exception {
        Promtool.Result r = Promtool.run(ALERTS, "check", "rules", RULES);
        assertEquals(0, r.exit(), r.output());
        assertEquals("Checking " + RULES + "\n  SUCCESS: 4 rules found\n\n", r.output());
    }

    @Test
    @DisplayName("promtool test rules: each alert fires where its cases say, with their labels and annotations, and stays silent at the edges")
    void promtoolTestRulesPasses() throws Exception {
        Promtool.Result r = Promtool.run(ALERTS, "test", "rules", "llm-metering.rules.test.yml");
        assertEquals(0, r.exit(), r.output());
        assertEquals("Unit Testing:  llm-metering.rules.test.yml\n  SUCCESS\n\n", r.output());
    }

    @Test
    @DisplayName("the four alerts, each with a severity, a summary and a description")
    void everyAlertHasSeverityAndAnnotations() throws Exception {
        List<String> names = new ArrayList<>();
        for (JsonNode rule : rules()) {
            names.add(rule.path("alert").asText());
            assertTrue(Set.of("critical", "warning").contains(rule.path("labels").path("severity").asText()), rule.toString());
            assertTrue(rule.path("annotations").hasNonNull("summary") && rule.path("annotations").hasNonNull("description"), rule.toString());
        }
        assertEquals(List.of("LlmMeteringSloAttainmentBelowTarget", "LlmMeteringStatsStale", "LlmMeteringDeadLettersRising",
                "LlmMeteringMisroutedRecords"), names);
    }

    @Test
    @DisplayName("every metric the rules query is one that /metrics, as bin/metering run serves it, emits")
    void everyMetricTheRulesQueryIsEmitted() throws Exception {
        Set<String> used = new TreeSet<>();
        for (JsonNode rule : rules()) {
            used.addAll(PromQl.metricNames(rule.path("expr").asText()));
        }
        assertEquals(Set.of("kafka_stream_metering_misrouted_records_total", "kafka_stream_metering_dead_letters_total",
                "llm_metering_last_tick_timestamp_seconds", "llm_metering_slo_attainment_ratio", "llm_metering_slo_target_ratio",
                "llm_metering_tokens_per_second"), used);
        Set<String> emitted = RunExposition.sampleNames(RunExposition.render(state));
        Set<String> missing = new TreeSet<>(used);
        missing.removeAll(emitted);
        assertEquals(Set.of(), missing, "queried by the rules, not on /metrics");
    }

    private static List<JsonNode> rules() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode group : new YAMLMapper().readTree(ALERTS.resolve(RULES).toFile()).path("groups")) {
            group.path("rules").forEach(out::add);
        }
        return out;
    }
}
