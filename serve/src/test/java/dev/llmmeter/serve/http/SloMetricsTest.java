package dev.llmmeter.serve.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmmeter.contract.Insight;
import dev.llmmeter.contract.Topics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import static dev.llmmeter.serve.Records.T0;
import static dev.llmmeter.serve.Records.insight;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The insights' service level figures on /metrics and /api/insights. */
class SloMetricsTest {
    private final ServerFixture f = new ServerFixture();

    @AfterEach
    void close() {
        f.close();
    }

    private Map<String, Double> scrape() throws Exception {
        HttpResponse<String> r = f.get("/metrics");
        assertEquals(200, r.statusCode());
        Map<String, Double> samples = new HashMap<>();
        for (String line : r.body().split("\n")) {
            if (!line.isEmpty() && !line.startsWith("#")) {
                int space = line.lastIndexOf(' ');
                samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            }
        }
        return samples;
    }

    private static final Insight.Attainment MINUTE = new Insight.Attainment(5, 5, 3, 3, 2, 2, 0.6, 2 / 3.0, 0.4, 2 / 60.0, 12 / 60.0);
    private static final Insight.Attainment HOUR = new Insight.Attainment(50, 50, 45, 0, 0, 45, 0.9, null, 0.9, 45 / 3600.0, 900 / 3600.0);
    private static final Insight.Attainment NONE = new Insight.Attainment(0, 0, 0, 0, 0, 0, null, null, null, 0.0, 0.0);

    private void offer(Insight i) {
        f.view.offerInsight(i.key(), Topics.INSIGHTS.serializeValue(i));
    }

    private static Insight with(Insight.Group group, String name, Insight.Slo slo) {
        return new Insight(T0, group, name, 1, null, 0.0, null, null, null, 0, 5, slo);
    }

    @Test
    @DisplayName("attainment per objective and window, goodput per window, and the objectives, each group labelled as the other group metrics")
    void attainmentGoodputAndObjectives() throws Exception {
        offer(with(Insight.Group.GLOBAL, null, new Insight.Slo(500.0, 50.0, 0.99, MINUTE, HOUR)));
        offer(with(Insight.Group.MODEL, "fast", new Insight.Slo(200.0, 50.0, 0.99, MINUTE, NONE)));
        offer(with(Insight.Group.MODEL, "other", new Insight.Slo(500.0, 50.0, 0.99, NONE, NONE)));
        offer(with(Insight.Group.TENANT, "acme", new Insight.Slo(500.0, 50.0, 0.99, MINUTE, HOUR)));
        Map<String, Double> m = scrape();
        String global = "model=\"\",tenant=\"\"";
        String globalAnd = "model=\"\",";
        assertEquals(0.6, m.get("llm_metering_slo_attainment_ratio{" + globalAnd + "objective=\"ttft\",tenant=\"\",window=\"1m\"}"));
        assertEquals(2 / 3.0, m.get("llm_metering_slo_attainment_ratio{" + globalAnd + "objective=\"tpot\",tenant=\"\",window=\"1m\"}"));
        assertEquals(0.4, m.get("llm_metering_slo_attainment_ratio{" + globalAnd + "objective=\"all\",tenant=\"\",window=\"1m\"}"));
        assertEquals(0.9, m.get("llm_metering_slo_attainment_ratio{" + globalAnd + "objective=\"all\",tenant=\"\",window=\"1h\"}"));
        assertFalse(m.containsKey("llm_metering_slo_attainment_ratio{" + globalAnd + "objective=\"tpot\",tenant=\"\",window=\"1h\"}"),
                "no stream judged on TPOT in the hour: no sample");
        assertEquals(0.4, m.get("llm_metering_slo_attainment_ratio{model=\"\",objective=\"all\",tenant=\"acme\",window=\"1m\"}"));
        assertEquals(0.6, m.get("llm_metering_slo_attainment_ratio{model=\"fast\",objective=\"ttft\",tenant=\"\",window=\"1m\"}"));
        assertFalse(m.containsKey("llm_metering_slo_attainment_ratio{model=\"fast\",objective=\"all\",tenant=\"\",window=\"1h\"}"));
        assertEquals(2 / 60.0, m.get("llm_metering_goodput_streams_per_second{" + global + ",window=\"1m\"}"));
        assertEquals(0.2, m.get("llm_metering_goodput_tokens_per_second{" + global + ",window=\"1m\"}"));
        assertEquals(0.0125, m.get("llm_metering_goodput_streams_per_second{" + global + ",window=\"1h\"}"));
        assertEquals(0.25, m.get("llm_metering_goodput_tokens_per_second{" + global + ",window=\"1h\"}"));
        assertEquals(0.0, m.get("llm_metering_goodput_streams_per_second{model=\"fast\",tenant=\"\",window=\"1h\"}"));
        assertEquals(0.5, m.get("llm_metering_slo_objective_seconds{model=\"\",objective=\"ttft\"}"));
        assertEquals(0.05, m.get("llm_metering_slo_objective_seconds{model=\"\",objective=\"tpot\"}"));
        assertEquals(0.2, m.get("llm_metering_slo_objective_seconds{model=\"fast\",objective=\"ttft\"}"));
        assertEquals(0.05, m.get("llm_metering_slo_objective_seconds{model=\"fast\",objective=\"tpot\"}"));
        assertFalse(m.containsKey("llm_metering_slo_objective_seconds{model=\"other\",objective=\"ttft\"}"));
        assertEquals(4, m.keySet().stream().filter(k -> k.startsWith("llm_metering_slo_objective_seconds")).count());
    }

    @Test
    @DisplayName("the attainment target is one sample from the global record, and none without objectives")
    void theTargetIsExposedFromTheGlobalRecord() throws Exception {
        offer(with(Insight.Group.MODEL, "fast", new Insight.Slo(200.0, 50.0, 0.9, MINUTE, NONE)));
        assertFalse(scrape().keySet().stream().anyMatch(k -> k.startsWith("llm_metering_slo_target_ratio")),
                "no global record yet: no target");
        offer(with(Insight.Group.GLOBAL, null, new Insight.Slo(500.0, 50.0, 0.95, MINUTE, HOUR)));
        Map<String, Double> m = scrape();
        assertEquals(0.95, m.get("llm_metering_slo_target_ratio"));
        assertEquals(1, m.keySet().stream().filter(k -> k.startsWith("llm_metering_slo_target_ratio")).count());

        f.view.offerInsight("global", insight("global", "null", 1, "10.0", "10.0", "null", "null", T0 + 1000));
        assertFalse(scrape().containsKey("llm_metering_slo_target_ratio"), "no objective set: the record carries no slo");
    }

    @Test
    @DisplayName("an unset objective has no attainment sample and no objective sample; with none set, no service level metric has one")
    void unsetObjectives() throws Exception {
        Insight.Attainment ttftOnly = new Insight.Attainment(2, 2, 2, 0, 0, 2, 1.0, null, 1.0, 2 / 60.0, 8 / 60.0);
        offer(with(Insight.Group.GLOBAL, null, new Insight.Slo(500.0, null, 0.99, ttftOnly, ttftOnly)));
        Map<String, Double> m = scrape();
        assertEquals(1.0, m.get("llm_metering_slo_attainment_ratio{model=\"\",objective=\"ttft\",tenant=\"\",window=\"1m\"}"));
        assertEquals(1.0, m.get("llm_metering_slo_attainment_ratio{model=\"\",objective=\"all\",tenant=\"\",window=\"1m\"}"));
        assertFalse(m.containsKey("llm_metering_slo_attainment_ratio{model=\"\",objective=\"tpot\",tenant=\"\",window=\"1m\"}"));
        assertFalse(m.containsKey("llm_metering_slo_objective_seconds{model=\"\",objective=\"tpot\"}"));

        f.view.offerInsight("global", insight("global", "null", 1, "10.0", "10.0", "null", "null", T0 + 1000));
        assertTrue(scrape().keySet().stream().noneMatch(k -> k.startsWith("llm_metering_slo_") || k.startsWith("llm_metering_goodput_")));
    }

    @Test
    void apiInsightsCarriesTheRecordsSloAsPublished() throws Exception {
        Insight g = with(Insight.Group.GLOBAL, null, new Insight.Slo(500.0, 50.0, 0.99, MINUTE, HOUR));
        offer(g);
        assertEquals(new String(Topics.INSIGHTS.serializeValue(g), StandardCharsets.UTF_8), f.get("/api/insights?group=global").body());
        assertTrue(f.get("/api/insights?group=global").body().contains("\"slo\":{\"ttft_objective_ms\":500.0"));
    }

    @Test
    @DisplayName("/api/insights gives each group's SLO target beside its attainment: what the dashboard marks red under")
    void apiInsightsCarriesTheTargetBesideEachGroupsAttainment() throws Exception {
        offer(with(Insight.Group.MODEL, "fast", new Insight.Slo(200.0, null, 0.95, MINUTE, NONE)));
        HttpResponse<String> r = f.get("/api/insights?group=model");
        assertEquals(200, r.statusCode());
        JsonNode slo = new ObjectMapper().readTree(r.body()).get(0).get("slo");
        assertEquals(0.95, slo.get("target").doubleValue());
        assertEquals(0.4, slo.get("last_minute").get("all").doubleValue());
        assertTrue(slo.get("last_hour").get("all").isNull());
    }
}
