package dev.llmmeter.app.it;

import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.app.StartupException;
import dev.llmmeter.app.TopicSetup;
import dev.llmmeter.app.Settings;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.topology.MeteringConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
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
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        settings.put(MeteringConfig.USAGE_TOPIC, "setup.usage");
        settings.put(Settings.DELTAS_PARTITIONS, "6");
        kafka.createTopic("setup.stats", 3); // exists already: left as it is
        try (Admin admin = admin()) {
            Settings layered = Settings.of(settings);
            assertEquals(List.of("setup.deltas", "setup.dlq", "setup.insights", "setup.streams", "setup.usage"),
                    TopicSetup.ensure(admin, layered, 30_000).stream().sorted().toList());
            Map<String, TopicDescription> d = describe(admin, List.of("setup.deltas", "setup.stats", "setup.dlq", "setup.streams", "setup.insights", "setup.usage"));
            assertEquals(6, d.get("setup.deltas").partitions().size());
            assertEquals(3, d.get("setup.stats").partitions().size());
            assertEquals(1, d.get("setup.dlq").partitions().size());
            assertEquals(6, d.get("setup.streams").partitions().size());
            assertEquals(1, d.get("setup.insights").partitions().size());
            assertEquals(1, d.get("setup.usage").partitions().size());
            var streamsConfig = admin.describeConfigs(List.of(new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "setup.streams"))).all().get().values().iterator().next();
            assertEquals("compact", streamsConfig.get("cleanup.policy").value(), "the per-stream records are compacted");
            assertEquals(List.of(), TopicSetup.ensure(admin, layered, 30_000)); // idempotent
        }
    }

    @Test
    void theStreamsTopicGetsTheExistingInputsPartitionCountNotTheConfiguredOne() throws Exception {
        kafka.createTopic("input3.deltas", 3);
        Settings settings = Settings.of(topics("input3")); // metering.topic.deltas.partitions: 4, the default
        try (Admin admin = admin()) {
            awaitListed(admin, "input3.deltas");
            TopicSetup.ensure(admin, settings, 30_000);
            assertEquals(3, describe(admin, List.of("input3.streams")).get("input3.streams").partitions().size());
        }
    }

    @Test
    void aCompactedDeadLetterTopicIsRefusedInOneLineBeforeAnythingIsCreated() throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic("compacted.dlq", 1, (short) 1)
                    .configs(Map.of("cleanup.policy", "compact")))).all().get(30, TimeUnit.SECONDS);
            awaitListed(admin, "compacted.dlq");
            Settings settings = Settings.of(topics("compacted"));
            StartupException e = assertThrows(StartupException.class, () -> TopicSetup.check(admin, settings, "compacted-app", 30_000));
            assertEquals("compacted.dlq has cleanup.policy=compact: a compacted topic refuses records without a key, and a dead "
                    + "letter may have none, so the app would stop at the first; set cleanup.policy=delete on it, or name "
                    + "another topic in metering.topic.dlq", e.getMessage());
            assertFalse(admin.listTopics().names().get(30, TimeUnit.SECONDS).contains("compacted.deltas"), "nothing created");
        }
    }

    @Test
    void unusualExistingTopicsAreAcceptedWithAWarningOfOneLineEach() throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic("unusual.deltas", 4, (short) 1),
                    new NewTopic("unusual.stats", 2, (short) 1),
                    new NewTopic("unusual.streams", 2, (short) 1).configs(Map.of("cleanup.policy", "delete")))).all().get(30, TimeUnit.SECONDS);
            awaitListed(admin, "unusual.deltas", "unusual.stats", "unusual.streams");
            Settings settings = Settings.of(topics("unusual"));
            List<String> warnings = List.of(
                    "unusual.stats has 2 partitions: every stats record has the same key and goes to one of them, the others "
                            + "stay empty (the app creates it with 1)",
                    "unusual.streams has cleanup.policy=delete, not compact: ended streams' records and their tombstones stay "
                            + "until retention.ms instead of being compacted away (the app creates it compacted)",
                    "unusual.streams has 2 partitions and unusual.deltas 4: each stream's records still go to one partition, "
                            + "in order (the app creates it with as many as the input)");
            assertEquals(warnings, TopicSetup.check(admin, settings, "unusual-app", 30_000));
            TopicSetup.ensure(admin, settings, 30_000);
            assertEquals(warnings, TopicSetup.check(admin, settings, "unusual-app", 30_000), "the topics the app created add no warning");
        }
    }

    @Test
    void theTopicsTheAppCreatesGiveNoWarning() throws Exception {
        try (Admin admin = admin()) {
            Settings settings = Settings.of(topics("fresh"));
            TopicSetup.ensure(admin, settings, 30_000);
            describe(admin, List.of("fresh.deltas", "fresh.stats", "fresh.dlq", "fresh.streams", "fresh.insights", "fresh.usage"));
            assertEquals(List.of(), TopicSetup.check(admin, settings, "fresh-app", 30_000));
        }
    }

    /** The six topics named {@code PREFIX.deltas}, ... */
    private static Properties topics(String prefix) {
        Properties settings = new Properties();
        settings.put(MeteringConfig.DELTAS_TOPIC, prefix + ".deltas");
        settings.put(MeteringConfig.STATS_TOPIC, prefix + ".stats");
        settings.put(MeteringConfig.DLQ_TOPIC, prefix + ".dlq");
        settings.put(MeteringConfig.STREAMS_TOPIC, prefix + ".streams");
        settings.put(MeteringConfig.INSIGHTS_TOPIC, prefix + ".insights");
        settings.put(MeteringConfig.USAGE_TOPIC, prefix + ".usage");
        return settings;
    }

    /** Until the broker lists the topics just created (its metadata may lag a moment behind the creation). */
    private static void awaitListed(Admin admin, String... topics) {
        await("topics " + List.of(topics) + " listed").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> admin.listTopics().names().get().containsAll(List.of(topics)));
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
        settings.put(MeteringConfig.STATS_TOPIC, Topics.STATS.name() + ".absent");
        settings.put(MeteringConfig.DLQ_TOPIC, "absent.dlq");
        settings.put(MeteringConfig.STREAMS_TOPIC, "absent.streams");
        settings.put(MeteringConfig.INSIGHTS_TOPIC, "absent.insights");
        settings.put(MeteringConfig.USAGE_TOPIC, "absent.usage");
        settings.put(Settings.CREATE_TOPICS, "false");
        try (Admin admin = admin()) {
            StartupException e = assertThrows(StartupException.class,
                    () -> TopicSetup.ensure(admin, Settings.of(settings), 30_000));
            assertEquals("missing topics [absent.deltas, metering.stats.absent, absent.dlq, absent.streams, absent.insights, absent.usage] and metering.topic.create=false: "
                    + "create them, or let the app create them", e.getMessage());
        }
    }
}
