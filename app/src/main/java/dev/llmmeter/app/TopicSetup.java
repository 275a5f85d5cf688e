package dev.llmmeter.app;

import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.MeteringTopology;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.TopologyDescription;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Creates the topics the app reads and writes when they are missing (Streams creates its internal ones itself), and
 * checks the existing ones against what the topology relies on before Kafka Streams starts ({@link #check}).
 */
public final class TopicSetup {
    private TopicSetup() {
    }

    /**
     * @return the topics created (empty when all existed)
     * @throws StartupException naming the topics and the reason when they are missing and cannot be created
     */
    public static List<String> ensure(Admin admin, Settings settings, long timeoutMs) {
        MeteringConfig config = settings.metering();
        int partitions = settings.deltasPartitions();
        short replication = settings.replicationFactor();
        boolean create = settings.createTopics();
        List<String> wanted = List.of(config.deltasTopic(), config.statsTopic(), config.deadLetterTopic(),
                config.streamsTopic(), config.insightsTopic(), config.usageTopic());
        Set<String> existing = topicNames(admin, timeoutMs);
        if (existing.contains(config.deltasTopic()) && !existing.contains(config.streamsTopic())) {
            partitions = partitionCount(admin, config.deltasTopic(), timeoutMs); // the input's, whatever the setting says
        }
        List<NewTopic> missing = new ArrayList<>();
        for (String topic : wanted) {
            if (!existing.contains(topic)) {
                // The per-stream records are keyed like the input: as many partitions as it has. The rest: one.
                int n = topic.equals(config.deltasTopic()) || topic.equals(config.streamsTopic()) ? partitions : 1;
                NewTopic t = new NewTopic(topic, Optional.of(n), replication < 0 ? Optional.empty() : Optional.of(replication));
                if (topic.equals(config.streamsTopic())) {
                    // Latest record per stream, and the tombstone that follows the final one removes it.
                    t.configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
                }
                missing.add(t);
            }
        }
        if (missing.isEmpty()) {
            return List.of();
        }
        List<String> names = missing.stream().map(NewTopic::name).toList();
        if (!create) {
            throw new StartupException("missing topics " + names + " and " + Settings.CREATE_TOPICS
                    + "=false: create them, or let the app create them", null);
        }
        List<String> created = new ArrayList<>();
        for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> e : admin.createTopics(missing).values().entrySet()) {
            try {
                e.getValue().get(timeoutMs, TimeUnit.MILLISECONDS);
                created.add(e.getKey());
            } catch (ExecutionException ex) {
                if (!(ex.getCause() instanceof TopicExistsException)) { // created meanwhile by another instance: fine
                    throw new StartupException("cannot create topic " + e.getKey() + ": " + ex.getCause().getMessage()
                            + " (create it beforehand, or grant this principal CREATE on the cluster or topic)", ex.getCause());
                }
            } catch (TimeoutException ex) {
                throw new StartupException("cannot create topic " + e.getKey() + " within " + timeoutMs + " ms", ex);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new StartupException("interrupted while creating topics", ex);
            }
        }
        return created;
    }

    /**
     * The existing topics against what the topology relies on, before Kafka Streams starts. Refused, as a
     * {@link StartupException} of one line: a session-stage changelog whose partition count differs from the input's
     * (a session's state lives in the changelog partition of its input partition's number, so Kafka Streams would
     * refuse to start, every time), and a compacted dead-letter topic (it refuses dead letters without a key, and
     * the app would stop at the first). Merely unusual, returned as warnings of one line each: a per-stream topic
     * that is not compacted or has not the input's partition count, a compacted input or stats topic, a stats topic
     * of more than one partition.
     *
     * Run before {@link #ensure}, so that a refusal creates nothing; the input's partition count is the existing
     * topic's, or the one {@code ensure} would give it.
     *
     * @return the warnings, one line each
     * @throws StartupException naming the topic, what is wrong and what to do
     */
    public static List<String> check(Admin admin, Settings settings, String applicationId, long timeoutMs) {
        MeteringConfig config = settings.metering();
        Set<String> existing = topicNames(admin, timeoutMs);
        int sessionTasks = existing.contains(config.deltasTopic()) ? partitionCount(admin, config.deltasTopic(), timeoutMs)
                : settings.deltasPartitions();
        List<String> changelogs = sessionChangelogs(config, applicationId, sessionTasks).stream()
                .filter(existing::contains).toList();
        List<String> outputs = List.of(config.deltasTopic(), config.statsTopic(), config.deadLetterTopic(),
                config.streamsTopic()).stream().filter(existing::contains).toList();
        List<String> all = new ArrayList<>(changelogs);
        all.addAll(outputs);
        Map<String, TopicDescription> described = get(admin.describeTopics(all).allTopicNames(), timeoutMs, "describe topics " + all);
        for (String changelog : changelogs) {
            int kept = described.get(changelog).partitions().size();
            if (kept != sessionTasks) {
                throw new StartupException(config.deltasTopic() + " has " + sessionTasks + " partitions but application "
                        + applicationId + " keeps its sessions in " + kept + " (" + changelog + "): a session's state belongs to "
                        + "its input partition, so the input's partition count cannot change under one application id; "
                        + "to grow it, stop every instance, run kafka-streams-application-reset --application-id "
                        + applicationId + " and delete " + applicationId + " in each instance's state directory "
                        + "(README: Scaling out)", null);
            }
        }
        List<String> warnings = new ArrayList<>();
        Map<ConfigResource, Config> configs;
        try {
            configs = get(admin.describeConfigs(outputs.stream()
                    .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList()).all(), timeoutMs, "describe the settings of topics " + outputs);
        } catch (StartupException e) {
            if (!(e.getCause() instanceof TopicAuthorizationException)) {
                throw e;
            }
            // The app itself never needs DESCRIBE_CONFIGS on these topics: without it, their settings go unchecked.
            warnings.add("cannot check the settings (cleanup.policy) of the existing topics " + outputs
                    + ": the principal lacks DESCRIBE_CONFIGS on them; their partition counts are checked");
            configs = null;
        }
        for (String topic : outputs) {
            Config c = configs == null ? null : configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic));
            String policy = configs == null ? null // unknown: not checked
                    : c == null || c.get(TopicConfig.CLEANUP_POLICY_CONFIG) == null ? TopicConfig.CLEANUP_POLICY_DELETE
                    : c.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
            boolean compacted = policy != null && policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT);
            int partitions = described.get(topic).partitions().size();
            if (topic.equals(config.deadLetterTopic()) && compacted) {
                throw new StartupException(topic + " has cleanup.policy=" + policy + ": a compacted topic refuses records "
                        + "without a key, and a dead letter may have none, so the app would stop at the first; set "
                        + "cleanup.policy=delete on it, or name another topic in " + MeteringConfig.DLQ_TOPIC, null);
            }
            if (topic.equals(config.streamsTopic()) && policy != null && !compacted) {
                warnings.add(topic + " has cleanup.policy=" + policy + ", not compact: ended streams' records and their "
                        + "tombstones stay until retention.ms instead of being compacted away (the app creates it compacted)");
            }
            if (topic.equals(config.streamsTopic()) && partitions != sessionTasks) {
                warnings.add(topic + " has " + partitions + " partitions and " + config.deltasTopic() + " " + sessionTasks
                        + ": each stream's records still go to one partition, in order (the app creates it with as many as the input)");
            }
            if (topic.equals(config.statsTopic()) && partitions != 1) {
                warnings.add(topic + " has " + partitions + " partitions: every stats record has the same key and goes "
                        + "to one of them, the others stay empty (the app creates it with 1)");
            }
            if ((topic.equals(config.statsTopic()) || topic.equals(config.deltasTopic())) && compacted) {
                warnings.add(topic + " has cleanup.policy=" + policy + ": compaction keeps only the latest record of each key ("
                        + (topic.equals(config.statsTopic()) ? "the stats have one key: tail --history and serve's history see fewer ticks"
                            : "each stream's last delta: a consumer that reads late, after an outage or a reset, misses the rest")
                        + ")");
            }
        }
        return warnings;
    }

    /**
     * The changelogs of the stores of the topology's session stage (the sub-topology that reads the input), as Kafka
     * Streams names them: {@code <application.id>-<store>-changelog}.
     */
    static List<String> sessionChangelogs(MeteringConfig config, String applicationId, int sessionTasks) {
        Set<String> stores = new TreeSet<>();
        for (TopologyDescription.Subtopology sub : MeteringTopology.build(config, sessionTasks).describe().subtopologies()) {
            boolean readsInput = sub.nodes().stream().anyMatch(n -> n instanceof TopologyDescription.Source source
                    && source.topicSet() != null && source.topicSet().contains(config.deltasTopic()));
            if (readsInput) {
                sub.nodes().stream().filter(n -> n instanceof TopologyDescription.Processor)
                        .forEach(n -> stores.addAll(((TopologyDescription.Processor) n).stores()));
            }
        }
        return stores.stream().map(store -> applicationId + "-" + store + "-changelog").collect(Collectors.toList());
    }

    private static Set<String> topicNames(Admin admin, long timeoutMs) {
        return get(admin.listTopics().names(), timeoutMs, "list topics");
    }

    private static <T> T get(KafkaFuture<T> future, long timeoutMs, String what) {
        try {
            return future.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new StartupException("cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new StartupException("cannot " + what + " within " + timeoutMs + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException("interrupted while trying to " + what, e);
        }
    }

    /** @return the topic's partition count (retried briefly: right after creation metadata may lag) */
    public static int partitionCount(Admin admin, String topic, long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            try {
                return admin.describeTopics(List.of(topic)).allTopicNames().get(timeoutMs, TimeUnit.MILLISECONDS)
                        .get(topic).partitions().size();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)
                        || System.nanoTime() > deadline) {
                    throw new StartupException("cannot describe topic " + topic + ": " + e.getCause().getMessage(), e.getCause());
                }
            } catch (TimeoutException e) {
                throw new StartupException("cannot describe topic " + topic + " within " + timeoutMs + " ms", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StartupException("interrupted while describing topics", e);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StartupException("interrupted while describing topics", null);
            }
        }
    }
}
