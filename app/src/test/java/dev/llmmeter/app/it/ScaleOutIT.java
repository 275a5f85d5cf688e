package dev.llmmeter.app.it;

import dev.llmmeter.devkit.ConstantRateStreams;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.app.MeteringApp;
import dev.llmmeter.contract.Stats;
import org.apache.kafka.streams.ThreadMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two instances share four input partitions; the stats topic still carries one record per tick for the
 * whole application, with every stream in it.
 */
class ScaleOutIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    @Test
    void twoInstancesPublishOneGlobalRecordPerTick(@TempDir Path stateA, @TempDir Path stateB) throws Exception {
        String id = "scale-out";
        try (MeteringApp a = LiveApps.startRunning(LiveApps.settings(kafka.bootstrapServers(), kafka.clientConfig(), id, stateA, 4));
             MeteringApp b = LiveApps.startRunning(LiveApps.settings(kafka.bootstrapServers(), kafka.clientConfig(), id, stateB, 4));
             StatsCollector collector = new StatsCollector(kafka.bootstrapServers(), kafka.clientConfig())) {
            awaitBothHaveSessionTasks(a, b);
            double[] rates = new double[40];
            Arrays.fill(rates, 20);
            Properties client = new Properties();
            client.putAll(kafka.clientConfig());
            ConstantRateStreams load = new ConstantRateStreams(kafka.bootstrapServers(), client, "wide", rates);
            long settled = load.start() + 8_000;
            try (load) {
                collector.await(s -> s.ts() >= settled + 6_000, Duration.ofSeconds(60), "6 s after settling");
            }
            assertTrue(sessionTaskPartitions(a).size() + sessionTaskPartitions(b).size() == 4, "4 session tasks over 2 instances");
            List<Stats> stats = collector.stats();
            Set<Long> ticks = new HashSet<>();
            for (Stats s : stats) {
                assertTrue(ticks.add(s.ts()), "one record per tick, but " + s.ts() + " came twice");
            }
            double expected = load.meanTpsAt(settled);
            for (Stats s : stats.stream().filter(s -> s.ts() >= settled).toList()) {
                assertEquals(40, s.active(), "all 40 streams, not one task's share: " + s);
                assertTrue(Math.abs(s.tps() - 20) / 20 <= 0.02, "tps " + s.tps() + " within 2% of 20");
                assertTrue(Math.abs(s.tps() - load.meanTpsAt(s.ts())) <= 0.3, s + " vs " + expected);
            }
        }
    }

    private static void awaitBothHaveSessionTasks(MeteringApp a, MeteringApp b) {
        await("the 4 session tasks spread over both instances").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .until(() -> !sessionTaskPartitions(a).isEmpty() && !sessionTaskPartitions(b).isEmpty()
                        && sessionTaskPartitions(a).size() + sessionTaskPartitions(b).size() == 4);
    }

    /** Active tasks of sub-topology 0 (the session meters) on an instance. */
    private static Set<String> sessionTaskPartitions(MeteringApp app) {
        return app.streams().metadataForLocalThreads().stream()
                .map(ThreadMetadata::activeTasks)
                .flatMap(Set::stream)
                .map(t -> t.taskId().toString())
                .filter(t -> t.startsWith("0_"))
                .collect(Collectors.toSet());
    }
}
