package dev.llmmeter.app.it;

import dev.llmmeter.devkit.TopologyProcess;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `metering topology` stopped with SIGTERM (what {@code docker stop} and Kubernetes send; {@link Process#destroy()}
 * on Linux) exits 0, as its --help says, having closed its streams and left the consumer group.
 */
class TopologySignalIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    @Test
    void sigtermIsACleanStopWithExitCodeZero(@TempDir Path work) throws Exception {
        String app = "sigterm";
        Path config = work.resolve("app.properties");
        // A long session timeout, so that only leaving the group (not the timeout) can empty it within the bound below.
        Files.writeString(config, "metering.topic.deltas.partitions=2\nsession.timeout.ms=60000\n");
        Path log = work.resolve("topology.log");
        Process child = TopologyProcess.start(kafka.bootstrapServers(), app, work.resolve("state"), config, log);
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                    .until(() -> stableMembers(admin, app) == 1); // running, its tasks assigned
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> Files.readString(log).contains("state REBALANCING -> RUNNING"));

            long signalled = System.nanoTime();
            child.destroy(); // SIGTERM
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "still running 60 s after SIGTERM; see target/it-logs/sigterm");
            long stoppedMs = (System.nanoTime() - signalled) / 1_000_000;
            String out = Files.readString(log);
            System.out.println("SIGTERM: exit " + child.exitValue() + " after " + stoppedMs + " ms");
            assertEquals(0, child.exitValue(), "a SIGTERM stop is a clean stop; log:\n" + out);
            assertTrue(out.contains("state PENDING_SHUTDOWN -> NOT_RUNNING"), "streams closed; log:\n" + out);
            assertTrue(out.contains("metering: stopped cleanly on SIGTERM"), out);
            // It left the group: a static member that did not would stay listed for session.timeout.ms (60 s here).
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> stableMembers(admin, app) == 0);
        } finally {
            child.destroyForcibly().waitFor();
            TopologyProcess.keepLogs(work, "sigterm");
        }
    }

    @Test
    void sigtermWhileWaitingForAnUnreachableClusterStopsAtOnceWithExitCodeZero(@TempDir Path work) throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) { // a port nobody listens on once closed
            port = probe.getLocalPort();
        }
        Path config = Files.writeString(work.resolve("app.properties"), "");
        Path log = work.resolve("topology.log");
        Process child = TopologyProcess.start("localhost:" + port, "unreachable", work.resolve("state"), config, log);
        try {
            // MeteringApp logs the instance id right before it waits for the cluster, signal handlers installed.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> Files.readString(log).contains("group.instance.id"));
            long signalled = System.nanoTime();
            child.destroy(); // SIGTERM
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "still running 60 s after SIGTERM");
            long stoppedMs = (System.nanoTime() - signalled) / 1_000_000;
            String out = Files.readString(log);
            System.out.println("SIGTERM while waiting for the cluster: exit " + child.exitValue() + " after " + stoppedMs + " ms");
            assertEquals(0, child.exitValue(), "a stop request ends the wait; log:\n" + out);
            assertTrue(out.contains("metering: stopped cleanly on SIGTERM"), out);
            assertFalse(out.contains("cannot reach Kafka"), "the wait did not run to its deadline: " + out);
            assertFalse(out.contains("metering: running"), out);
        } finally {
            child.destroyForcibly().waitFor();
            TopologyProcess.keepLogs(work, "sigterm-unreachable");
        }
    }

    /** Members of the group, -1 while it does not exist or is not stable (or empty, with 0). */
    private static int stableMembers(Admin admin, String group) throws Exception {
        try {
            ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
            if (g.groupState() == GroupState.EMPTY) {
                return 0;
            }
            return g.groupState() == GroupState.STABLE ? g.members().size() : -1;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return -1;
            }
            throw e;
        }
    }
}
