package dev.llmmeter.app.it;

import dev.llmmeter.app.MeteringApp;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.devkit.EmbeddedKafkaCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * On a three-node development cluster ({@link EmbeddedKafkaCluster}, what {@code metering broker --nodes 3} and
 * {@code metering run --brokers 3} start), every topic the app creates, its own and Kafka Streams' internal ones, and
 * the brokers' transaction and offsets logs, have three replicas and {@code min.insync.replicas=2}.
 */
class ClusterTopicsIT {
    @Test
    void everyTopicOnAThreeNodeClusterHasThreeReplicasAndMinInsyncReplicas2(@TempDir Path work) throws Exception {
        try (EmbeddedKafkaCluster cluster = new EmbeddedKafkaCluster(3, 0, work.resolve("kafka")).start();
             Admin admin = Admin.create(cluster.clientConfig())) {
            assertEquals(3, admin.describeCluster().nodes().get().size());
            try (MeteringApp app = LiveApps.startRunning(LiveApps.settings(cluster.bootstrapServers(), cluster.clientConfig(),
                    "cluster-topics", work.resolve("state"), 2))) {
                // Streams creates its changelogs and repartition topics as it starts; the transaction log comes with the
                // first exactly-once commit.
                List<String> expected = List.of(Topics.DELTAS.name(), Topics.STATS.name(), Topics.USAGE.name(), "__transaction_state",
                        "__consumer_offsets");
                Map<String, String> layout = await("the app's topics and the transaction log").atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(250))
                        .until(() -> layout(admin), l -> l.keySet().containsAll(expected)
                                && l.keySet().stream().anyMatch(t -> t.endsWith("-changelog"))
                                && l.keySet().stream().anyMatch(t -> t.endsWith("-repartition")));
                Map<String, String> wanted = layout.keySet().stream().collect(Collectors.toMap(t -> t, t -> "replicas 3, ISR 3, min.insync.replicas 2",
                        (a, b) -> a, TreeMap::new));
                assertEquals(wanted, layout);
            }
        }
    }

    /** Every topic of the cluster to "replicas R, ISR I, min.insync.replicas M" (R and I the smallest over its partitions). */
    private static Map<String, String> layout(Admin admin) throws Exception {
        var names = admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(true)).names().get();
        Map<String, TopicDescription> described = admin.describeTopics(names).allTopicNames().get();
        Map<ConfigResource, Config> configs = admin.describeConfigs(names.stream()
                .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList()).all().get();
        Map<String, String> out = new TreeMap<>();
        described.forEach((topic, d) -> {
            int replicas = d.partitions().stream().mapToInt(p -> p.replicas().size()).min().orElse(0);
            int isr = d.partitions().stream().mapToInt(p -> p.isr().size()).min().orElse(0);
            String minIsr = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic)).get("min.insync.replicas").value();
            out.put(topic, "replicas " + replicas + ", ISR " + isr + ", min.insync.replicas " + minIsr);
        });
        return out;
    }
}
