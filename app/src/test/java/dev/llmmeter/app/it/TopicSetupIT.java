package dev.llmmeter.app.it;

import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.app.StartupException;
import dev.llmmeter.app.TopicSetup;
import dev.llmmeter.app.Settings;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.topology.MeteringConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;

import static org.awaitility.Awaitility.await;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The app creates the topics it reads and writes when they are missing, or says why it will not. */
class TopicSetupIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    private static Admin admin() {
        Map<String, Object> c = new HashMap<>(kafka.clientConfig());
        c.put("bootstrap.servers", kafka.bootstrapServers());
        return Admin.create(c);
    }

    @Test
    void missingTopicsAreCreatedWithTheConfiguredPartitionsAndExistingOnesKept() throws Exception {
        Properties settings = new Properties();
        settings.put(MeteringConfig.DELTAS_TOPIC, "setup.deltas");
        settings.put(MeteringConfig.STATS_TOPIC, "setup.stats");
        settings.put(MeteringConfig.DLQ_TOPIC, "setup.dlq");
        settings.put(MeteringConfig.STREAMS_TOPIC, "setup.streams");
        settings.put(MeteringConfig.INSIGHTS_TOPIC, "setup.insights");
        settings.put(Settings.DELTAS_PARTITIONS, "6");
        kafka.createTopic("setup.stats", 3); // exists already: left as it is
        try (Admin admin = admin()) {
            Settings layered = Settings.of(settings);
            assertEquals(List.of("setup.deltas", "setup.dlq", "setup.insights", "setup.streams"),
                    TopicSetup.ensure(admin, layered, 30_000).stream().sorted().toList());
            Map<String, TopicDescription> d = describe(admin, List.of("setup.deltas", "setup.stats", "setup.dlq", "setup.streams", "setup.insights"));
            assertEquals(6, d.get("setup.deltas").partitions().size());
            assertEquals(3, d.get("setup.stats").partitions().size());
            assertEquals(1, d.get("setup.dlq").partitions().size());
            assertEquals(6, d.get("setup.streams").partitions().size());
            assertEquals(1, d.get("setup.insights").partitions().size());
            var streamsConfig = admin.describeConfigs(List.of(new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "setup.streams"))).all().get().values().iterator().next();
            assertEquals("compact", streamsConfig.get("cleanup.policy").value(), "the per-stream records are compacted");
            assertEquals(List.of(), TopicSetup.ensure(admin, layered, 30_000)); // idempotent
        }
    }

    /** Right after creation the broker's metadata may lag a moment: an unknown topic is asked about again. */
    private static Map<String, TopicDescription> describe(Admin admin, List<String> topics) {
        return await("topics " + topics + " described").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .ignoreExceptionsMatching(e -> e instanceof ExecutionException && e.getCause() instanceof UnknownTopicOrPartitionException)
                .until(() -> admin.describeTopics(topics).allTopicNames().get(), Objects::nonNull);
    }

    @Test
    void missingTopicsWithCreationOffIsAClearError() {
        Properties settings = new Properties();
        settings.put(MeteringConfig.DELTAS_TOPIC, "absent.deltas");
        settings.put(MeteringConfig.STATS_TOPIC, Topics.STATS + ".absent");
        settings.put(MeteringConfig.DLQ_TOPIC, "absent.dlq");
        settings.put(MeteringConfig.STREAMS_TOPIC, "absent.streams");
        settings.put(MeteringConfig.INSIGHTS_TOPIC, "absent.insights");
        settings.put(Settings.CREATE_TOPICS, "false");
        try (Admin admin = admin()) {
            StartupException e = assertThrows(StartupException.class,
                    () -> TopicSetup.ensure(admin, Settings.of(settings), 30_000));
            assertEquals("missing topics [absent.deltas, metering.stats.absent, absent.dlq, absent.streams, absent.insights] and metering.topic.create=false: "
                    + "create them, or let the app create them", e.getMessage());
        }
    }
}
