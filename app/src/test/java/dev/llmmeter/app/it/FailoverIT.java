package dev.llmmeter.app.it;

import dev.llmmeter.contract.Stats;
import dev.llmmeter.devkit.CombinerHost;
import dev.llmmeter.devkit.ConstantRateStreams;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.devkit.TopologyProcess;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two `metering topology` processes (own state dirs, one application id) share a 4-partition input carrying 12
 * streams at 20 deltas/s; the one hosting the stats combiner (the single partition of the partials repartition
 * topic) is killed with SIGKILL. Asserted by content only: the combiner moves to the survivor (or comes back with
 * the restarted instance, the same static member), and stats resume from it with every stream at its rate, no tick
 * twice. How long the stats stop is measured by {@code bin/metering bench --failover}, not here.
 */
class FailoverIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    static final int STREAMS = 12;
    static final double RATE = 20;

    @Test
    void combinerHostKilledForGoodStatsResumeFromTheSurvivor(@TempDir Path work) throws Exception {
        failover(work, "gone", false);
    }

    @Test
    void combinerHostKilledAndRestartedOnItsStateDirRejoinsAsTheSameMember(@TempDir Path work) throws Exception {
        failover(work, "restart", true);
    }

    private void failover(Path work, String name, boolean restart) throws Exception {
        String app = "failover-" + name;
        String deltas = app + ".deltas";
        String statsTopic = app + ".stats";
        kafka.createTopic(deltas, 4); // both instances find it: no race to create it
        Path[] states = {work.resolve("state-0"), work.resolve("state-1")};
        Path[] configs = new Path[2];
        Process[] procs = new Process[2];
        for (int i = 0; i < 2; i++) {
            configs[i] = work.resolve("app-" + i + ".properties");
            Files.writeString(configs[i], "client.id=" + app + "-p" + i + "\nmetering.topic.deltas=" + deltas
                    + "\nmetering.topic.stats=" + statsTopic + "\nmetering.topic.dlq=" + app + ".dlq\n");
            procs[i] = TopologyProcess.start(kafka.bootstrapServers(), app, states[i], configs[i], work.resolve("p" + i + ".log"));
        }
        Properties client = new Properties();
        client.putAll(kafka.clientConfig());
        double[] rates = new double[STREAMS];
        Arrays.fill(rates, RATE);
        try (Admin admin = Admin.create(kafka.clientConfig());
             StatsCollector collector = new StatsCollector(kafka.bootstrapServers(), kafka.clientConfig(), statsTopic);
             ConstantRateStreams load = new ConstantRateStreams(kafka.bootstrapServers(), client, deltas, name, rates)) {
            // Both instances run session tasks, one of them the combiner, and stats carry every stream.
            int host = awaitCombiner(admin, app, deltas, true, -1);
            long settled = System.currentTimeMillis();
            collector.await(s -> s.ts() > settled && s.active() == STREAMS, Duration.ofSeconds(60), "with all streams");

            String instanceId = Files.readString(states[host].resolve("metering-instance-id")).strip();
            procs[host].destroyForcibly(); // SIGKILL: no leave-group, no commit
            procs[host].waitFor();
            long killedAt = System.currentTimeMillis();
            if (restart) {
                procs[host] = TopologyProcess.start(kafka.bootstrapServers(), app, states[host], configs[host],
                        work.resolve("p" + host + "-restarted.log"));
            } else {
                awaitCombiner(admin, app, deltas, false, 1 - host); // moved to the survivor
            }
            // A tick after the kill can only come from the combiner's new home (or the restarted instance); once the
            // moved session tasks restored their streams, records carry all of them at their rate.
            assertAllStreamsAtTheirRate(collector.await(s -> s.ts() > killedAt && s.active() == STREAMS, 5, Duration.ofSeconds(120),
                    "after the " + (restart ? "kill and restart" : "kill")));
            if (restart) { // the restarted instance is back as the same static member, and the stats go on
                awaitCombiner(admin, app, deltas, true, -1);
                List<String> ids = CombinerHost.instanceIds(admin, app, host);
                assertFalse(ids.isEmpty());
                assertTrue(ids.stream().allMatch(id -> id.startsWith(instanceId + "-")),
                        "the restarted instance rejoins as the static member of its state dir (" + instanceId + "): " + ids);
                long whole = System.currentTimeMillis();
                assertAllStreamsAtTheirRate(collector.await(s -> s.ts() > whole && s.active() == STREAMS, 3, Duration.ofSeconds(120), "after the rejoin"));
            }
            StatsCollector.assertWholeSecondsStrictlyIncreasing(collector.stats());
        } finally {
            for (Process p : procs) {
                p.destroyForcibly().waitFor();
            }
            TopologyProcess.keepLogs(work, app);
        }
    }

    private static void assertAllStreamsAtTheirRate(List<Stats> stats) {
        for (Stats s : stats) {
            assertEquals(STREAMS, s.active(), s.toString());
            assertTrue(Math.abs(s.tps() - RATE) / RATE <= 0.02, "tps " + s.tps() + " within 2% of " + RATE + ": " + s);
        }
    }

    /** Waits for a stable group with a combiner (on process {@code on}, unless -1) and returns its host. */
    private static int awaitCombiner(Admin admin, String app, String deltas, boolean bothWorking, int on) {
        return awaitCombiner(admin, app, deltas, bothWorking, on, Duration.ofSeconds(120));
    }

    /** The same, waiting at most {@code bound}. */
    static int awaitCombiner(Admin admin, String app, String deltas, boolean bothWorking, int on, Duration bound) {
        return await("the combiner's host" + (on >= 0 ? " p" + on : "") + (bothWorking ? ", both instances with session tasks" : ""))
                .atMost(bound).pollInterval(Duration.ofMillis(250))
                .until(() -> CombinerHost.find(admin, app, deltas, bothWorking), h -> h.isPresent() && (on < 0 || h.get() == on))
                .orElseThrow();
    }
}
