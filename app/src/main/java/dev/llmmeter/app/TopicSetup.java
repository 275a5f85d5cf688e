package dev.llmmeter.app;

import dev.llmmeter.topology.MeteringConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Creates the topics the app reads and writes when they are missing (Streams creates its internal ones itself). */
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
                config.streamsTopic(), config.insightsTopic());
        Set<String> existing;
        try {
            existing = admin.listTopics().names().get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new StartupException("cannot list topics: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new StartupException("cannot list topics within " + timeoutMs + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException("interrupted while listing topics", e);
        }
        List<NewTopic> missing = new ArrayList<>();
        for (String topic : wanted) {
            if (!existing.contains(topic)) {
                // The per-stream records are keyed like the input and as many: as many partitions. The rest: one.
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
