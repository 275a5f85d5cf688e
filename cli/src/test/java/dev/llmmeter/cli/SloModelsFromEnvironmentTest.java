package dev.llmmeter.cli;

import dev.llmmeter.app.Settings;
import dev.llmmeter.serve.MeteringView;
import dev.llmmeter.serve.http.MeteringServer;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.MeteringTopology;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Per-model objectives from the environment as a compose file sets them ({@code METERING_SLO_MODELS}), through the
 * settings, the real topology (in a TopologyTestDriver) and the insights, to the objective gauges on {@code /metrics}.
 */
class SloModelsFromEnvironmentTest {
    private static final long T0 = 1_790_000_000_000L;

    @TempDir
    Path state;

    @Test
    @DisplayName("METERING_SLO_MODELS=llama-3.1-70b=ttft:500,tpot:50;gpt-x=ttft:800 beside METERING_SLO_TTFT_MS=1000 and METERING_SLO_TPOT_MS=100: /metrics' objective gauges per model")
    void perModelObjectivesFromTheEnvironmentReachTheObjectiveGauges() throws Exception {
        Settings settings = Settings.load(null, Map.of("METERING_SLO_MODELS", "llama-3.1-70b=ttft:500,tpot:50;gpt-x=ttft:800",
                "METERING_SLO_TTFT_MS", "1000", "METERING_SLO_TPOT_MS", "100"), new Properties());
        MeteringConfig config = settings.metering();
        Properties props = MeteringTopology.streamsProperties(config);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "slo-models");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
        props.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
        MeteringView view = new MeteringView();
        try (TopologyTestDriver driver = new TopologyTestDriver(MeteringTopology.build(config, 1), props, Instant.ofEpochMilli(T0));
             MeteringServer server = new MeteringServer(view, () -> null)) {
            TestInputTopic<String, String> deltas = driver.createInputTopic(config.deltasTopic(), new StringSerializer(), new StringSerializer());
            TestOutputTopic<byte[], byte[]> insights = driver.createOutputTopic(config.insightsTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
            for (String model : List.of("llama-3.1-70b", "gpt-x", "mixtral")) {
                String id = "s-" + model;
                deltas.pipeInput(id, "{\"type\":\"begin\",\"stream_id\":\"" + id + "\",\"ts\":" + T0 + ",\"model\":\"" + model + "\"}", T0);
                deltas.pipeInput(id, "{\"type\":\"output\",\"stream_id\":\"" + id + "\",\"ts\":" + (T0 + 100) + ",\"running\":3}", T0 + 100);
                deltas.pipeInput(id, "{\"type\":\"end\",\"stream_id\":\"" + id + "\",\"ts\":" + (T0 + 200) + ",\"final_output_tokens\":3}", T0 + 200);
            }
            driver.advanceWallClockTime(Duration.ofMillis(2000));
            insights.readKeyValuesToList().forEach(kv -> view.offerInsight(new String(kv.key), kv.value));
            int port = server.start(0);
            String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();

            assertEquals(List.of(
                    "llm_metering_slo_objective_seconds{model=\"\",objective=\"tpot\"} 0.1",
                    "llm_metering_slo_objective_seconds{model=\"\",objective=\"ttft\"} 1.0",
                    "llm_metering_slo_objective_seconds{model=\"gpt-x\",objective=\"tpot\"} 0.1",
                    "llm_metering_slo_objective_seconds{model=\"gpt-x\",objective=\"ttft\"} 0.8",
                    "llm_metering_slo_objective_seconds{model=\"llama-3.1-70b\",objective=\"tpot\"} 0.05",
                    "llm_metering_slo_objective_seconds{model=\"llama-3.1-70b\",objective=\"ttft\"} 0.5",
                    "llm_metering_slo_objective_seconds{model=\"mixtral\",objective=\"tpot\"} 0.1",
                    "llm_metering_slo_objective_seconds{model=\"mixtral\",objective=\"ttft\"} 1.0"),
                    body.lines().filter(l -> l.startsWith("llm_metering_slo_objective_seconds{")).sorted().toList(), body);
        }
    }
}
