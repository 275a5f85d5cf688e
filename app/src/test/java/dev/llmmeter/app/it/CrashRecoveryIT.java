package dev.llmmeter.app.it;

import dev.llmmeter.devkit.ConstantRateStreams;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
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
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `metering topology` as a child process, killed with SIGKILL mid-load and started again on the same
 * state directory: sessions and the hour of readings come back from the changelogs.
 */
class CrashRecoveryIT {
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
        try (Admin admin = Admin.create(kafka.clientConfig());
             StatsCollector collector = new StatsCollector(kafka.bootstrapServers(), kafka.clientConfig())) {
            // The app is up, its tasks assigned, before the load starts: its first readings are then the early,
            // fencepost-inflated ones the high must keep. A child JVM slow to start on a loaded machine would
            // otherwise first read the streams seconds in, when their rate has all but settled.
            await("the app's tasks assigned (see target/crash-recovery-logs/run-1.log)").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250)).until(() -> tasksAssigned(admin, "crash"));
            try (ConstantRateStreams load = new ConstantRateStreams(kafka.bootstrapServers(), client, "crash", 10, 20, 25, 40, 50, 10, 20, 25, 40, 50)) {
                // All ten streams metered (on a loaded machine the app may lag behind the load at first).
                Stats before = collector.await(s -> s.active() == 10 && s.ts() >= load.start() + 6_000, Duration.ofSeconds(90),
                        "with all 10 streams, 6 s into the load");
                collector.await(s -> s.ts() >= before.ts() + 2_000, Duration.ofSeconds(30), "2 s later");
                child.destroyForcibly().waitFor(); // SIGKILL: no clean shutdown, no final commit
                long killedAt = System.currentTimeMillis();
                Stats lastBefore = last(collector.stats());

                child = startTopology(state, config, work.resolve("run-2.log"));
                // A generous bound for a loaded machine (a child JVM starts, restores, rejoins); the figure is printed.
                Stats after = collector.await(s -> s.ts() > killedAt + 1000 && s.active() == 10, Duration.ofSeconds(90),
                        "with all 10 streams after the restart (see target/crash-recovery-logs/run-2.log)");
                System.out.printf(java.util.Locale.ROOT, "crash recovery: first tick with all 10 streams %.1f s after the kill "
                        + "(session.timeout.ms %d, static membership)%n", (after.ts() - killedAt) / 1000.0, SESSION_TIMEOUT_MS);
                collector.await(s -> s.ts() >= after.ts() + 3_000, Duration.ofSeconds(30), "3 s after resuming");

                List<Stats> resumed = collector.stats().stream().filter(s -> s.ts() >= after.ts()).toList();
                System.out.println("crash recovery: high before the kill " + lastBefore.high() + ", after " + resumed.stream().map(Stats::high).toList()
                        + ", tps after " + resumed.stream().map(Stats::tps).toList() + "; " + StatsCollector.spacings(collector.stats()));
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
            }
        } finally {
            child.destroyForcibly().waitFor();
            keepLogs(work); // for a post-mortem: target/crash-recovery-logs/
        }
    }

    /** The group is stable, with the input partitions and the combiner's partials partition assigned. */
    private static boolean tasksAssigned(Admin admin, String app) throws Exception {
        ConsumerGroupDescription g;
        try {
            g = admin.describeConsumerGroups(List.of(app)).all().get().get(app);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return false; // not yet
            }
            throw e;
        }
        if (g == null || g.groupState() != GroupState.STABLE) {
            return false;
        }
        Set<String> topics = g.members().stream().flatMap(m -> m.assignment().topicPartitions().stream())
                .map(TopicPartition::topic).collect(Collectors.toSet());
        return topics.contains(Topics.DELTAS.name()) && topics.stream().anyMatch(t -> t.endsWith("-partials-repartition"));
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
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.llmmeter.app.ServiceMain",
                "topology", "--bootstrap-servers", kafka.bootstrapServers(), "--application-id", "crash",
                "--state-dir", state.toString(), "--config", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }
}
