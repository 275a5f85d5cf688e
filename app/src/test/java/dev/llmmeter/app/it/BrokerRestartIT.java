package dev.llmmeter.app.it;

import dev.llmmeter.devkit.ConstantRateStreams;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.app.MeteringApp;
import dev.llmmeter.contract.Stats;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The broker goes away and comes back on the same port and data: the topology recovers by itself. */
class BrokerRestartIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    @Test
    void topologyKeepsEmittingAfterTheBrokerRestarts(@TempDir Path state) throws Exception {
        Properties client = new Properties();
        client.putAll(kafka.clientConfig());
        try (MeteringApp app = LiveApps.startRunning(LiveApps.settings(kafka.bootstrapServers(), kafka.clientConfig(), "restart", state, 2));
             StatsCollector collector = new StatsCollector(kafka.bootstrapServers(), kafka.clientConfig());
             ConstantRateStreams load = new ConstantRateStreams(kafka.bootstrapServers(), client, "restart", 20, 40)) {
            collector.await(s -> s.ts() >= load.start() + 3_000, Duration.ofSeconds(60), "3 s into the load");
            kafka.restart();
            long restartedAt = System.currentTimeMillis();
            Stats after = collector.await(s -> s.ts() >= restartedAt + 2_000, Duration.ofSeconds(90), "2 s after the restart");
            assertEquals(2, after.active(), after.toString());
            assertEquals(true, after.tpsAvailable());
            LiveApps.awaitState(app, KafkaStreams.State.RUNNING, Duration.ofSeconds(30));
        }
    }
}
