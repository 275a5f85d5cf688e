package dev.llmmeter.app.it;

import dev.llmmeter.app.MeteringApp;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Partitions added to the input of an application that already ran: Kafka Streams would refuse to start every time
 * (its sessions changelog keeps the old count), so the app says so before starting it, in one line, with what to do;
 * and what it says to do (the application reset: its internal topics and local state deleted) lets it start again.
 */
class GrownInputIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    @TempDir
    Path dir;

    @Test
    void addingInputPartitionsIsRefusedInOneLineAndTheResetItNamesLetsTheAppStartAgain() throws Exception {
        String app = "grown";
        Path state = dir.resolve("state");
        MeteringApp first = LiveApps.startRunning(LiveApps.settings(kafka.bootstrapServers(), kafka.clientConfig(), app, state, 4));
        first.close();
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            admin.createPartitions(Map.of(Topics.DELTAS.name(), NewPartitions.increaseTo(6))).all().get(30, TimeUnit.SECONDS);

            Path config = dir.resolve("app.properties");
            Files.writeString(config, "metering.topic.deltas.partitions=4\n");
            String[] args = {"topology", "--bootstrap-servers", kafka.bootstrapServers(), "--application-id", app,
                "--state-dir", state.toString(), "--config", config.toString()};
            for (int attempt = 0; attempt < 2; attempt++) { // every time, the same line
                ServiceProcess.Run run = ServiceProcess.inProcess(args);
                assertEquals(1, run.exit(), run.err());
                assertEquals(List.of("metering: metering.deltas has 6 partitions but application grown keeps its sessions in 4 "
                        + "(grown-sessions-changelog): a session's state belongs to its input partition, so the input's partition "
                        + "count cannot change under one application id; to grow it, stop every instance, run "
                        + "kafka-streams-application-reset --application-id grown and delete grown in each instance's state "
                        + "directory (README: Scaling out)"), run.err().lines().toList());
            }

            // What kafka-streams-application-reset does to the internal topics, and the local reset beside it.
            List<String> internal = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                    .filter(t -> t.startsWith(app + "-")).sorted().toList();
            assertEquals(List.of("grown-combiner-state-changelog", "grown-partials-changelog", "grown-partials-repartition", "grown-readings-changelog",
                    "grown-sessions-changelog", "grown-stream-endings-changelog", "grown-usage-billed-changelog",
                    "grown-usage-ledger-state-changelog", "grown-usage-repartition", "grown-usage-windows-changelog"), internal);
            admin.deleteTopics(internal).all().get(30, TimeUnit.SECONDS);
            deleteTree(state.resolve(app));
            org.awaitility.Awaitility.await("internal topics deleted").atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> admin.listTopics().names().get().stream().noneMatch(t -> t.startsWith(app + "-")));

            MeteringApp again = LiveApps.startRunning(LiveApps.settings(kafka.bootstrapServers(), kafka.clientConfig(), app, state, 4));
            try {
                assertEquals(6, admin.describeTopics(List.of("grown-sessions-changelog")).allTopicNames().get(30, TimeUnit.SECONDS)
                        .get("grown-sessions-changelog").partitions().size());
            } finally {
                again.close();
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
