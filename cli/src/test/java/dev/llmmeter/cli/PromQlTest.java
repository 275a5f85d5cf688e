package dev.llmmeter.cli;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PromQlTest {
    @Test
    void metricNamesAreTheSelectorsNotFunctionsLabelsNumbersOrVariables() {
        assertEquals(Set.of("gen_ai_server_time_to_first_token_seconds_bucket"), PromQl.metricNames(
                "histogram_quantile(0.9, sum by (le, gen_ai_request_model) (rate(gen_ai_server_time_to_first_token_seconds_bucket{tenant=~\"a|b\"}[$__rate_interval])))"));
        assertEquals(Set.of("llm_metering_slo_attainment_ratio", "llm_metering_slo_target_ratio"), PromQl.metricNames(
                "llm_metering_slo_attainment_ratio{objective=\"all\",window=\"1m\"}\n  < on (job, instance) group_left\nllm_metering_slo_target_ratio"));
        assertEquals(Set.of("llm_metering_last_tick_timestamp_seconds", "llm_metering_tokens_per_second"), PromQl.metricNames(
                "(time() - llm_metering_last_tick_timestamp_seconds > 30) and on (job, instance) llm_metering_tokens_per_second"));
        assertEquals(Set.of("a_total", "b"), PromQl.metricNames("sum(increase(a_total[1h] offset 5m)) without (task_id) / 1e3 + b"));
    }
}
