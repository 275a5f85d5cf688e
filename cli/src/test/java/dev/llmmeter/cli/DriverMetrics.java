package dev.llmmeter.cli;

import dev.llmmeter.serve.MeteringView;
import dev.llmmeter.serve.http.MeteringServer;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.MeteringTopology;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Properties;

/**
 * The real topology in a TopologyTestDriver, and its Kafka Streams metrics on {@code /metrics} as
 * {@code bin/metering run} serves them (bridged by {@link MeteringServer}): for tests of a topology metric's
 * exposition.
 */
final class DriverMetrics {
    private DriverMetrics() {
    }

    /** The topology of {@code config} with one session task, its wall clock starting at {@code startMs}. */
    static TopologyTestDriver driver(MeteringConfig config, String applicationId, Path stateDir, long startMs) {
        Properties props = MeteringTopology.streamsProperties(config);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        return new TopologyTestDriver(MeteringTopology.build(config, 1), props, Instant.ofEpochMilli(startMs));
    }

    /** The body of {@code GET /metrics} from a server bridging {@code driver}'s metrics. */
    static String scrape(TopologyTestDriver driver) throws Exception {
        try (MeteringServer server = new MeteringServer(new MeteringView(), () -> null)) {
            server.metrics().registerKafkaMetrics(driver::metrics);
            int port = server.start(0);
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        }
    }
}
