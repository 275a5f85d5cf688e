package dev.llmmeter.cli;

import dev.llmmeter.serve.metrics.Promtool;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /metrics} as {@code bin/metering run} serves it ({@link RunExposition}: the real topology's figures and every
 * Kafka Streams metric), through Prometheus' linter, without a broker.
 */
class MetricsExpositionLintTest {
    @TempDir
    Path state;

    @Test
    @DisplayName("/metrics with the topology's figures and every Kafka Streams metric passes promtool check metrics: exit 0, no output")
    void runsExpositionPassesPromtool() throws Exception {
        String body = RunExposition.render(state);

        // what the lint ran over: the figures per model, the service level and gen_ai ones, and Kafka's clients, tasks and stores
        for (String family : new String[]{"\nllm_metering_group_tokens_per_second{model=\"llama-3.1-70b\",tenant=\"\"} ",
                "\nllm_metering_time_to_first_token_seconds{model=\"mixtral-8x7b\",tenant=\"\",quantile=\"0.99\"} 0.4",
                "\nllm_metering_slo_attainment_ratio{", "\nllm_metering_slo_target_ratio 0.99\n",
                "\ngen_ai_server_time_to_first_token_seconds_bucket{gen_ai_request_model=\"mixtral-8x7b\",",
                "\nkafka_consumer_connections{", "\nkafka_producer_io_time_seconds_total{", "\nkafka_admin_client_io_wait_time_avg_seconds{",
                "\nkafka_stream_thread_blocked_time_seconds_total{", "\nkafka_stream_task_active_buffers{", "\nkafka_stream_state_",
                "\nkafka_stream_processor_node_", "\nkafka_stream_metering_tick_latency_avg{", "\nkafka_stream_metering_misrouted_records_total{",
                "\nkafka_stream_metering_dead_letters_total{",
                "\nkafka_metrics{"}) {
            assertTrue(body.contains(family), family + " missing from\n" + body);
        }
        Promtool.Result lint = Promtool.check(body);
        assertTrue(lint.clean(), lint.toString());
    }
}
