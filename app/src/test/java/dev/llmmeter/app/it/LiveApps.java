package dev.llmmeter.app.it;

import dev.llmmeter.app.MeteringApp;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Starts the live metering app in-process, as `metering topology` would, for integration tests. */
public final class LiveApps {
    private LiveApps() {
    }

    public static Properties settings(String bootstrap, Map<String, Object> client, String applicationId, Path stateDir, int partitions) {
        Properties p = new Properties();
        p.putAll(client);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put("metering.topic.deltas.partitions", String.valueOf(partitions));
        return p;
    }

    public static MeteringApp startRunning(Properties settings) {
        MeteringApp app = new MeteringApp(settings);
        app.start();
        awaitState(app, KafkaStreams.State.RUNNING, Duration.ofSeconds(60));
        return app;
    }

    /** Waits (Awaitility) until the app's streams are in {@code state}; fails at once if the app stopped on an error. */
    public static void awaitState(MeteringApp app, KafkaStreams.State state, Duration timeout) {
        await("app " + state).atMost(timeout).pollInterval(Duration.ofMillis(50))
                .failFast("the app stopped on an error", () -> app.failure() != null)
                .untilAsserted(() -> assertEquals(state, app.streams().state(), "app state"));
    }
}
