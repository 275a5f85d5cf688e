package dev.llmmeter.cli.it;

import dev.llmmeter.cli.app.MeteringApp;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/** Starts the live metering app in-process, as `metering topology` would, for integration tests. */
final class LiveApps {
    private LiveApps() {
    }

    static Properties settings(String bootstrap, Map<String, Object> client, String applicationId, Path stateDir, int partitions) {
        Properties p = new Properties();
        p.putAll(client);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put("metering.topic.deltas.partitions", String.valueOf(partitions));
        return p;
    }

    static MeteringApp startRunning(Properties settings) throws InterruptedException {
        MeteringApp app = new MeteringApp(settings);
        app.start();
        awaitState(app, KafkaStreams.State.RUNNING, Duration.ofSeconds(60));
        return app;
    }

    static void awaitState(MeteringApp app, KafkaStreams.State state, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (app.streams().state() != state) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("app not " + state + " within " + timeout.toSeconds() + " s: " + app.streams().state());
            }
            Thread.sleep(50);
        }
    }
}
