package dev.llmmeter.cli;

import dev.llmmeter.serve.MeteringView;
import dev.llmmeter.serve.http.MeteringServer;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.MeteringTopology;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code /metrics} as {@code bin/metering run} serves it, without a broker: the figures are the real topology's output
 * (in a TopologyTestDriver, with objectives set so that the service level figures are there too, and its final stream
 * records fed to the gen_ai histograms), and the Kafka metrics are those of a real {@code KafkaStreams} of the same
 * topology (its clients: admin, consumers, producer) and of the driver's tasks, processors and RocksDB stores, recorded
 * at DEBUG level so that every metric Kafka Streams has is there.
 */
final class RunExposition {
    static final long T0 = 1_790_000_000_000L;

    private RunExposition() {
    }

    /** The body of {@code GET /metrics}; state directories under {@code state}. */
    static String render(Path state) throws Exception {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.SLO_TTFT_MS, "1000", MeteringConfig.SLO_TPOT_MS, "50"));
        Properties props = MeteringTopology.streamsProperties(config);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "lint");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1"); // never started: nothing connects
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.METRICS_RECORDING_LEVEL_CONFIG, "DEBUG");
        props.put(StreamsConfig.STATE_DIR_CONFIG, state.resolve("streams").toString());
        Properties driverProps = new Properties();
        driverProps.putAll(props);
        driverProps.put(StreamsConfig.STATE_DIR_CONFIG, state.resolve("driver").toString());

        MeteringView view = new MeteringView();
        try (KafkaStreams streams = new KafkaStreams(MeteringTopology.build(config, 1), props);
             TopologyTestDriver driver = new TopologyTestDriver(MeteringTopology.build(config, 1), driverProps, Instant.ofEpochMilli(T0));
             MeteringServer server = new MeteringServer(view, () -> null)) {
            feedTwoModels(config, driver, view);
            server.metrics().registerKafkaMetrics(() -> {
                Map<MetricName, Metric> all = new HashMap<>(streams.metrics());
                all.putAll(driver.metrics());
                return all;
            });
            int port = server.start(0);
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    /**
     * The names of the samples in an exposition ({@code gen_ai_..._bucket}, {@code ..._total}, a summary's own name
     * for its quantiles): what PromQL selects.
     */
    static Set<String> sampleNames(String exposition) {
        Set<String> names = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (!line.isEmpty() && !line.startsWith("#")) {
                int end = 0;
                while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                    end++;
                }
                names.add(line.substring(0, end));
            }
        }
        return names;
    }

    /**
     * Two streams of two models, begun, given deltas and ended, with the wall clock ticking: stats, insights and the
     * final stream record of the one that ended.
     */
    private static void feedTwoModels(MeteringConfig config, TopologyTestDriver driver, MeteringView view) {
        TestInputTopic<String, String> deltas = driver.createInputTopic(config.deltasTopic(), new StringSerializer(), new StringSerializer());
        TestOutputTopic<byte[], byte[]> stats = driver.createOutputTopic(config.statsTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        TestOutputTopic<byte[], byte[]> insights = driver.createOutputTopic(config.insightsTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        TestOutputTopic<byte[], byte[]> finals = driver.createOutputTopic(config.streamsTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        deltas.pipeInput("s1", "{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":" + T0 + ",\"model\":\"llama-3.1-70b\",\"tenant\":\"acme\"}", T0);
        deltas.pipeInput("s2", "{\"type\":\"begin\",\"stream_id\":\"s2\",\"ts\":" + T0 + ",\"model\":\"mixtral-8x7b\",\"tenant\":\"globex\"}", T0);
        for (int i = 1; i <= 4; i++) {
            long ts = T0 + i * 400L;
            deltas.pipeInput("s1", "{\"type\":\"output\",\"stream_id\":\"s1\",\"ts\":" + (ts + 400) + ",\"running\":" + (i * 10) + "}", ts + 400);
            deltas.pipeInput("s2", "{\"type\":\"output\",\"stream_id\":\"s2\",\"ts\":" + ts + ",\"running\":" + (i * 20) + "}", ts);
            driver.advanceWallClockTime(Duration.ofMillis(1000));
        }
        deltas.pipeInput("s2", "{\"type\":\"end\",\"stream_id\":\"s2\",\"ts\":" + (T0 + 3000) + ",\"final_output_tokens\":80,\"input_tokens\":100}", T0 + 3000);
        for (int i = 0; i < 3; i++) { // s2 judged on its objectives as it leaves, and summed by the combiner
            driver.advanceWallClockTime(Duration.ofMillis(1000));
        }
        stats.readValuesToList().forEach(view::offerStats);
        insights.readKeyValuesToList().forEach(kv -> view.offerInsight(new String(kv.key, StandardCharsets.UTF_8), kv.value));
        finals.readKeyValuesToList().forEach(kv -> view.offerStream(new String(kv.key, StandardCharsets.UTF_8), kv.value));
    }
}
