package dev.llmmeter.app.it;

import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.app.Settings;
import dev.llmmeter.contract.Stats;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two `metering topology` processes (own state dirs, one application id) share a 4-partition input under a
 * steady load; the one hosting the stats combiner (the single partition of the partials repartition topic)
 * is killed with SIGKILL. Measured: how long the stats stop, from the last record before the kill to the
 * first after, and from the kill and from the restart to the first record with a later tick; printed, and
 * asserted against generous bounds (a loaded 2-core CI must not break it):
 *
 * <ul>
 *   <li>restarted on its state directory 15 s later: stats resume within 30 s of the restart (target 10 s);
 *   <li>never restarted: stats resume within 40 s of the kill (target 20 s; the old 45 s session timeout fails it).
 * </ul>
 *
 * By hand, the same with the old defaults (45 s session timeout, no static membership):
 * {@code -Dfailover.oldDefaults=true}; with a clean stop (SIGTERM) instead of SIGKILL: {@code -Dfailover.signal=TERM}.
 */
class FailoverIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    static final boolean OLD_DEFAULTS = Boolean.getBoolean("failover.oldDefaults");
    static final boolean SIGTERM = "TERM".equals(System.getProperty("failover.signal"));
    static final Duration RESTART_AFTER = Duration.ofSeconds(15);
    static final int STREAMS = 12;

    @Test
    void combinerHostKilledAndRestartedOnItsStateDir(@TempDir Path work) throws Exception {
        Figures f = failover(work, "restart", true);
        assertTrue(f.restartToFirst <= 30_000, "stats resumed " + f.restartToFirst + " ms after the restart (target 10 s)");
    }

    @Test
    void combinerHostKilledForGood(@TempDir Path work) throws Exception {
        Figures f = failover(work, "gone", false);
        assertTrue(f.killToFirst <= 40_000, "stats resumed " + f.killToFirst + " ms after the kill (target 20 s)");
    }

    record Figures(long lastBeforeToFirstAfter, long killToFirst, long restartToFirst, long largestGap) {
    }

    private Figures failover(Path work, String name, boolean restart) throws Exception {
        String app = "failover-" + name;
        String deltas = app + ".deltas";
        String statsTopic = app + ".stats";
        kafka.createTopic(deltas, 4); // both instances find it: no race to create it
        Path[] states = {work.resolve("state-0"), work.resolve("state-1")};
        Path[] configs = new Path[2];
        for (int i = 0; i < 2; i++) {
            configs[i] = work.resolve("app-" + i + ".properties");
            Files.writeString(configs[i], "client.id=" + app + "-p" + i + "\n"
                    + "metering.topic.deltas=" + deltas + "\nmetering.topic.stats=" + statsTopic + "\nmetering.topic.dlq=" + app + ".dlq\n"
                    + (OLD_DEFAULTS ? "session.timeout.ms=45000\nheartbeat.interval.ms=3000\ngroup.instance.id=\n" : ""));
        }
        Process[] procs = new Process[2];
        procs[0] = TopologyProcess.start(kafka.bootstrapServers(), app, states[0], configs[0], work.resolve("p0.log"));
        procs[1] = TopologyProcess.start(kafka.bootstrapServers(), app, states[1], configs[1], work.resolve("p1.log"));
        Properties client = new Properties();
        client.putAll(kafka.clientConfig());
        double[] rates = new double[STREAMS];
        Arrays.fill(rates, 20);
        try (Admin admin = Admin.create(kafka.clientConfig());
             StatsCollector collector = new StatsCollector(kafka.bootstrapServers(), kafka.clientConfig(), statsTopic);
             ConstantRateStreams load = new ConstantRateStreams(kafka.bootstrapServers(), client, deltas, name, rates)) {
            // Both instances run session tasks, one of them the combiner, and stats carry every stream.
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                    .until(() -> combinerHost(admin, app, true).isPresent());
            long settled = System.currentTimeMillis();
            collector.await(s -> s.ts() > settled + 3_000 && s.active() == STREAMS, Duration.ofSeconds(60), "with all streams after settling");
            int host = combinerHost(admin, app, true).orElseThrow();
            String instanceId = OLD_DEFAULTS ? "(none)" : Files.readString(states[host].resolve("metering-instance-id")).strip();

            long killedAt = System.currentTimeMillis();
            if (SIGTERM) {
                procs[host].destroy();
            } else {
                procs[host].destroyForcibly();
            }
            procs[host].waitFor();
            long restartedAt = 0;
            if (restart) {
                long due = killedAt + RESTART_AFTER.toMillis();
                await().atMost(RESTART_AFTER.plusSeconds(5)).pollInterval(Duration.ofMillis(50))
                        .until(() -> System.currentTimeMillis() >= due); // the scenario: it comes back 15 s later
                restartedAt = System.currentTimeMillis();
                procs[host] = TopologyProcess.start(kafka.bootstrapServers(), app, states[host], configs[host],
                        work.resolve("p" + host + "-restarted.log"));
            }
            long resumeFrom = Math.max(killedAt, restartedAt);
            // Resumed with every stream: the moved tasks restored their sessions.
            Stats resumed = collector.await(s -> s.ts() > resumeFrom && s.active() == STREAMS, Duration.ofSeconds(120),
                    "with all streams after the " + (restart ? "restart" : "kill"));
            if (restart) { // and the group whole again, then a little more, to see the gap its rebalance makes
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                        .until(() -> combinerHost(admin, app, true).isPresent());
            }
            long whole = System.currentTimeMillis();
            collector.await(s -> s.ts() > whole + 4_000, Duration.ofSeconds(60), "4 s later");

            List<Stats> stats = collector.stats();
            List<Long> arrivals = collector.arrivals();
            long lastBefore = 0;
            long firstAfterKill = -1;
            long firstAfterRestart = -1;
            long largestGap = 0;
            long largestGapEnd = 0;
            long largestGapAfterRestart = 0;
            for (int i = 0; i < stats.size(); i++) {
                long at = arrivals.get(i);
                if (at <= killedAt) {
                    lastBefore = at;
                }
                if (firstAfterKill < 0 && stats.get(i).ts() > killedAt) {
                    firstAfterKill = at;
                }
                if (restart && firstAfterRestart < 0 && stats.get(i).ts() > restartedAt) {
                    firstAfterRestart = at;
                }
                if (restart && i > 0 && arrivals.get(i - 1) >= restartedAt) {
                    largestGapAfterRestart = Math.max(largestGapAfterRestart, at - arrivals.get(i - 1));
                }
                if (i > 0 && at >= killedAt - 5_000 && at - arrivals.get(i - 1) > largestGap) {
                    largestGap = at - arrivals.get(i - 1);
                    largestGapEnd = at;
                }
            }
            Figures f = new Figures(firstAfterKill - lastBefore, firstAfterKill - killedAt,
                    restart ? firstAfterRestart - restartedAt : -1, largestGap);
            List<String> restores = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                for (Path log : new Path[] {work.resolve("p" + i + ".log"), work.resolve("p" + i + "-restarted.log")}) {
                    for (String line : TopologyProcess.linesSince(log, killedAt - 1_000, "Finished restoring", "state ", "group.instance.id")) {
                        restores.add(log.getFileName() + ": " + line);
                    }
                }
            }
            System.out.printf(Locale.ROOT, "FAILOVER [%s, %s%s] combiner host p%d (group.instance.id %s) %s at %s%s%n"
                            + "  stats gap, last record before -> first after the %s: %.1f s%n"
                            + "  %s -> first record with a later tick: %.1f s%n"
                            + "%s"
                            + "  largest gap between consecutive records from 5 s before the kill on: %.1f s (ending %s)%n"
                            + "  resumed with all %d streams at tick %s; %d records in all%n"
                            + "  survivor/restart log since the kill:%n    %s%n",
                    name, OLD_DEFAULTS ? "old defaults: session.timeout.ms 45000, no static membership"
                            : "defaults: session.timeout.ms " + Settings.SESSION_TIMEOUT_MS + ", static membership",
                    SIGTERM ? ", SIGTERM" : "",
                    host, instanceId, SIGTERM ? "stopped (SIGTERM)" : "killed (SIGKILL)", TopologyProcess.time(killedAt),
                    restart ? ", restarted at " + TopologyProcess.time(restartedAt) : ", never restarted",
                    SIGTERM ? "stop" : "kill", f.lastBeforeToFirstAfter / 1000.0,
                    SIGTERM ? "stop" : "kill", f.killToFirst / 1000.0,
                    restart ? String.format(Locale.ROOT, "  restart -> first record with a later tick: %.1f s%n"
                            + "  largest gap between consecutive records after the restart (its rejoin's rebalances): %.1f s%n",
                            f.restartToFirst / 1000.0, largestGapAfterRestart / 1000.0) : "",
                    f.largestGap / 1000.0, TopologyProcess.time(largestGapEnd),
                    STREAMS, TopologyProcess.time(resumed.ts()), stats.size(),
                    String.join("\n    ", restores));

            Set<Long> ticks = new HashSet<>();
            for (Stats s : stats) {
                assertTrue(ticks.add(s.ts()), "tick " + s.ts() + " has two stats records");
            }
            assertTrue(firstAfterKill > 0, "stats resumed");
            assertEquals(STREAMS, resumed.active());
            return f;
        } finally {
            for (Process p : procs) {
                p.destroyForcibly().waitFor();
            }
            TopologyProcess.keepLogs(work, "failover-" + name);
        }
    }

    /**
     * The process (0 or 1, by client id) whose consumer is assigned the partials repartition topic, once the
     * group is stable; with {@code bothWorking}, only when both processes are members with session tasks.
     */
    static Optional<Integer> combinerHost(Admin admin, String app, boolean bothWorking) throws Exception {
        Map<String, ConsumerGroupDescription> groups;
        try {
            groups = admin.describeConsumerGroups(List.of(app)).all().get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return Optional.empty(); // not yet
            }
            throw e;
        }
        ConsumerGroupDescription g = groups.get(app);
        if (g == null || g.groupState() != GroupState.STABLE) {
            return Optional.empty();
        }
        Integer host = null;
        Set<Integer> withSessionTasks = new HashSet<>();
        for (MemberDescription m : g.members()) {
            int process = m.clientId().startsWith(app + "-p0-") ? 0 : m.clientId().startsWith(app + "-p1-") ? 1 : -1;
            for (var tp : m.assignment().topicPartitions()) {
                if (tp.topic().endsWith("-partials-repartition")) {
                    host = process;
                } else if (tp.topic().equals(app + ".deltas")) {
                    withSessionTasks.add(process);
                }
            }
        }
        if (host == null || host < 0 || (bothWorking && !withSessionTasks.equals(Set.of(0, 1)))) {
            return Optional.empty();
        }
        return Optional.of(host);
    }
}
