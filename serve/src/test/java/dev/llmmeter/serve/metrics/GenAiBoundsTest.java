package dev.llmmeter.serve.metrics;

import dev.llmmeter.contract.StreamStatus;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link GenAiMetrics}' bounds: the stream ids it remembers and the (model, tenant) pairs it labels. */
class GenAiBoundsTest {
    private final PrometheusRegistry registry = new PrometheusRegistry();

    private static StreamStatus ended(String id, String model, String tenant, long output) {
        return new StreamStatus(id, model, tenant, StreamStatus.State.ENDED, null, output, 0, 100L, null, 0, 1000);
    }

    /** gen_ai_client_token_usage's _count by "model/tenant". */
    private Map<String, Long> tokenCounts() {
        Map<String, Long> out = new TreeMap<>();
        for (MetricSnapshot s : registry.scrape()) {
            if (s instanceof HistogramSnapshot h && s.getMetadata().getPrometheusName().equals("gen_ai_client_token_usage")) {
                h.getDataPoints().forEach(p -> out.put(p.getLabels().get("gen_ai_request_model") + "/" + p.getLabels().get("tenant"), p.getCount()));
            }
        }
        return out;
    }

    @Test
    @DisplayName("beyond maxIds final stream ids the oldest is forgotten (counted); a repeat of a forgotten id counts again, of a kept one not")
    void idBound() {
        GenAiMetrics m = new GenAiMetrics(registry, 2, 1000);
        assertTrue(m.offer(ended("a", "llama", "acme", 1), false));
        assertTrue(m.offer(ended("b", "llama", "acme", 1), false));
        assertTrue(m.offer(ended("c", "llama", "acme", 1), false)); // forgets a
        assertEquals(1, m.forgottenIds());
        assertFalse(m.offer(ended("c", "llama", "acme", 1), false)); // kept: a repeat
        assertTrue(m.offer(ended("a", "llama", "acme", 1), false)); // forgotten: counted again, forgets b
        assertEquals(2, m.forgottenIds());
        assertEquals(1, m.repeats());
        assertEquals(Map.of("llama/acme", 4L), tokenCounts());
    }

    @Test
    @DisplayName("beyond maxLabelPairs (model, tenant) pairs the further pairs are counted under model and tenant \"other\"; a null model is \"null\"")
    void labelBound() {
        GenAiMetrics m = new GenAiMetrics(registry, 100, 2);
        m.offer(ended("1", "llama", "acme", 1), false);
        m.offer(ended("2", null, "acme", 1), false);
        m.offer(ended("3", "mistral", "acme", 1), false);
        m.offer(ended("4", "llama", "globex", 1), false);
        m.offer(ended("5", "llama", "acme", 1), false); // a pair already labelled keeps its label
        assertEquals(Map.of("llama/acme", 2L, "null/acme", 1L, "other/other", 2L), tokenCounts());
    }

    @Test
    @DisplayName("serve's bounds: 100,000 final stream ids remembered, 1,000 (model, tenant) pairs labelled")
    void defaults() {
        GenAiMetrics m = new GenAiMetrics(registry);
        for (int i = 0; i <= 100_000; i++) {
            m.offer(ended("s" + i, "m" + (i % 1001), "acme", 1), false);
        }
        assertEquals(1, m.forgottenIds()); // s0
        assertEquals(1001, tokenCounts().size()); // m0..m999 and other
        assertEquals(99L, tokenCounts().get("other/other")); // m1000: i = 1000, 2001, ..., 99100
    }
}
