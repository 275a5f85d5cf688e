package dev.llmmeter.app.it;

import dev.llmmeter.devkit.ConstantRateStreams;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.app.MeteringApp;
import dev.llmmeter.contract.Stats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Properties;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The meter is down for 90 s while long-running streams go on producing; it comes back on its state directory and
 * reads the backlog. The restored sessions count as seen at restore (liveness is judged on the meter's clock), so
 * the backlog's newer deltas find them alive, and once caught up the stats say what the streams are really doing.
 * Judged on the events' own times, every restored session was 90 s stale at the first tick and pruned, and every
 * later delta of those streams dropped as an unknown stream.
 */
class OutageRecoveryIT {
    private static final Duration OUTAGE = Duration.ofSeconds(90);

    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    @Test
    void afterANinetySecondOutageTheBacklogIsReadAndTheStatsMatchTheStreams(@TempDir Path state) throws Exception {
        Properties settings = LiveApps.settings(kafka.bootstrapServers(), kafka.clientConfig(), "outage", state, 2);
        Properties client = new Properties();
        client.putAll(kafka.clientConfig());
        MeteringApp first = LiveApps.startRunning(settings);
        try (StatsCollector collector = new StatsCollector(kafka.bootstrapServers(), kafka.clientConfig());
             ConstantRateStreams load = new ConstantRateStreams(kafka.bootstrapServers(), client, "long", 5, 10, 20)) {
            long down;
            try (first) {
                collector.await(s -> s.active() == 3 && s.tps() != null, Duration.ofSeconds(60), "with the 3 streams metered");
                down = System.currentTimeMillis();
            }
            // The outage: the streams keep producing until 90 s of backlog has piled up.
            await("90 s of backlog").atMost(OUTAGE.plusSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> load.lastSent() >= down + OUTAGE.toMillis());
            long back = System.currentTimeMillis();
            try (MeteringApp app = LiveApps.startRunning(settings)) {
                Stats caughtUp = collector.await(s -> s.ts() >= back && s.active() == 3 && s.tps() != null
                                && Math.abs(s.tps() - load.meanTpsAt(s.ts())) / load.meanTpsAt(s.ts()) <= 0.02,
                        Duration.ofSeconds(60), "after the restart with all 3 streams at their rates");
                System.out.printf(Locale.ROOT, "outage: down %d s; first stats after the restart matching the streams at +%.1f s "
                                + "(tick %d): tps %.1f, expected %.2f, active %d%n", (back - down) / 1000,
                        (caughtUp.ts() - back) / 1000.0, caughtUp.ts(), caughtUp.tps(), load.meanTpsAt(caughtUp.ts()),
                        caughtUp.active());
                // and it stays so: the next records too (a pruned session would show as active < 3 from here on)
                long next = caughtUp.ts() + 3000;
                Stats later = collector.await(s -> s.ts() >= next, Duration.ofSeconds(30), "3 s later");
                assertEquals(3, later.active(), later.toString());
                assertTrue(Math.abs(later.tps() - load.meanTpsAt(later.ts())) / load.meanTpsAt(later.ts()) <= 0.02,
                        later + " vs " + load.meanTpsAt(later.ts()));
            }
        }
    }
}
