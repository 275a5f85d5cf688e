package dev.llmmeter.cli.it;

import dev.llmmeter.contract.Stats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `metering topology` as a child process, killed with SIGKILL mid-load and started again on the same
 * state directory: sessions and the hour of readings come back from the changelogs.
 */
class CrashRecoveryTest {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    /** Static membership: the restarted instance takes its old place at once instead of waiting out the session. */
    static final int SESSION_TIMEOUT_MS = 15_000;

    @Test
    void killedInstanceResumesWithItsSessionsAndReadings(@TempDir Path work) throws Exception {
        Path state = work.resolve("state");
        Path config = work.resolve("app.properties");
        Files.writeString(config, "group.instance.id=crash-test\nsession.timeout.ms=" + SESSION_TIMEOUT_MS + "\n"
                + "metering.topic.deltas.partitions=2\n");
        Properties client = new Properties();
        client.putAll(kafka.clientConfig());
        Process child = startTopology(state, config, work.resolve("run-1.log"));
        try (StatsCollector collector = new StatsCollector(kafka.bootstrapServers(), kafka.clientConfig());
             ConstantRateStreams load = new ConstantRateStreams(kafka.bootstrapServers(), client, "crash", 10, 20, 25, 40, 50, 10, 20, 25, 40, 50)) {
            // All ten streams metered (on a loaded machine the app may lag behind the load at first).
            Stats before = collector.await(s -> s.active() == 10 && s.ts() >= load.start() + 6_000, Duration.ofSeconds(90),
                    "with all 10 streams, 6 s into the load");
            collector.await(s -> s.ts() >= before.ts() + 2_000, Duration.ofSeconds(30), "2 s later");
            child.destroyForcibly().waitFor(); // SIGKILL: no clean shutdown, no final commit
            long killedAt = System.currentTimeMillis();
            Stats lastBefore = last(collector.stats());

            child = startTopology(state, config, work.resolve("run-2.log"));
            Stats after = collector.await(s -> s.ts() > killedAt + 1000 && s.active() == 10, Duration.ofSeconds(60), "after the restart");
            assertTrue(after.ts() - killedAt < 2 * SESSION_TIMEOUT_MS,
                    "resumed " + (after.ts() - killedAt) + " ms after the kill; see target/crash-recovery-logs/run-2.log");
            collector.await(s -> s.ts() >= after.ts() + 3_000, Duration.ofSeconds(30), "3 s after resuming");

            List<Stats> resumed = collector.stats().stream().filter(s -> s.ts() >= after.ts()).toList();
            for (Stats s : resumed) {
                assertEquals(10, s.active(), "sessions came back from the changelog: " + s + "; all: " + collector.stats());
                assertTrue(Math.abs(s.tps() - load.meanTpsAt(s.ts())) <= 1.0, "rates continue: " + s + " vs " + load.meanTpsAt(s.ts()));
                // The hour of readings came back: the high is still the early, fencepost-inflated one, above today's tps.
                assertEquals(lastBefore.high(), s.high(), "high not reset: " + s + "; all: " + collector.stats());
                assertTrue(s.high() > s.tps(), "high is an old reading: " + s);
            }
            Set<Long> ticks = new HashSet<>();
            for (Stats s : collector.stats()) {
                assertTrue(ticks.add(s.ts()), "tick " + s.ts() + " has two stats records");
            }
        } finally {
            child.destroyForcibly().waitFor();
            keepLogs(work); // for a post-mortem: target/crash-recovery-logs/
        }
    }

    private static void keepLogs(Path work) throws IOException {
        Path kept = Path.of("target", "crash-recovery-logs");
        Files.createDirectories(kept);
        for (String log : new String[] {"run-1.log", "run-2.log"}) {
            if (Files.exists(work.resolve(log))) {
                Files.copy(work.resolve(log), kept.resolve(log), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static Stats last(List<Stats> stats) {
        return stats.get(stats.size() - 1);
    }

    private static Process startTopology(Path state, Path config, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.llmmeter.cli.Main",
                "topology", "--bootstrap-servers", kafka.bootstrapServers(), "--application-id", "crash",
                "--state-dir", state.toString(), "--config", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }
}
