package dev.llmmeter.app;

import dev.llmmeter.topology.MeteringConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the app may do on the cluster, as Kafka's authorizer sees it: READ on the input topic, WRITE on the output
 * topics, its internal topics (prefixed with the application id: READ, WRITE, CREATE, DELETE), its consumer group (READ)
 * and, under exactly-once, its transactional ids (prefixed with the application id: WRITE).
 *
 * <p>{@link #missing} asks the cluster before Kafka Streams starts, with requests that change nothing and that an
 * app principal may make: topic descriptions with their authorized operations, a validate-only topic creation and
 * descriptions of a group and a transactional id that need not exist (the broker answers "not authorized" before
 * "not found"). {@link #describe} words an authorization failure met later, in a running app, the same way.
 */
public final class AccessCheck {
    /** A name under the internal topics' prefix that no topology uses: only asked about, never created. */
    static final String PROBE = "metering-access-check";

    private final String applicationId;
    private final MeteringConfig config;
    private final boolean exactlyOnce;

    public AccessCheck(String applicationId, MeteringConfig config, boolean exactlyOnce) {
        this.applicationId = applicationId;
        this.config = config;
        this.exactlyOnce = exactlyOnce;
    }

    /**
     * @return the permissions the app lacks, each worded as in {@link #line}; empty when it has them all, or when
     *         the cluster did not say (an unexpected error is left to the app itself to meet)
     */
    public List<String> missing(Admin admin, long timeoutMs) throws InterruptedException {
        Set<String> missing = new LinkedHashSet<>();
        List<String> outputs = List.of(config.statsTopic(), config.deadLetterTopic(), config.streamsTopic(), config.insightsTopic(),
                config.usageTopic());
        List<String> own = new ArrayList<>(outputs);
        own.add(0, config.deltasTopic());
        // Each topic on its own: one the app may not even see is missing its permission, one that does not exist yet
        // is left to the topic setup (which creates it, or says it cannot).
        Map<String, KafkaFuture<TopicDescription>> topics = admin.describeTopics(own, new DescribeTopicsOptions()
                .includeAuthorizedOperations(true)).topicNameValues();
        for (String topic : own) {
            TopicDescription described = answer(topics.get(topic), timeoutMs, missing, topicNeeds(topic));
            if (described != null && !allows(described, topic.equals(config.deltasTopic()) ? AclOperation.READ : AclOperation.WRITE)) {
                missing.add(topicNeeds(topic));
            }
        }
        missing.addAll(missingOnRepartitionTopics(admin, timeoutMs));
        String probe = applicationId + "-" + PROBE;
        answer(admin.describeTopics(List.of(probe)).allTopicNames(), timeoutMs, missing);
        answer(admin.createTopics(List.of(new NewTopic(probe, Optional.empty(), Optional.empty())),
                new CreateTopicsOptions().validateOnly(true)).all(), timeoutMs, missing);
        answer(admin.listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata(), timeoutMs, missing);
        if (exactlyOnce) {
            answer(admin.describeTransactions(List.of(probe)).all(), timeoutMs, missing);
        }
        return List.copyOf(missing);
    }

    /**
     * What the app lacks on its existing repartition topics ({@code <application id>-...-repartition}): READ, WRITE,
     * and DELETE, with which Kafka Streams deletes the records it has read (they keep every record otherwise: Kafka
     * Streams creates them with {@code retention.ms=-1}). Kafka Streams never says when that deletion fails, and
     * topics that do not exist yet cannot be asked about: {@link #missing} asks at start, the app again once its
     * topics exist (when it first runs).
     *
     * @return empty, or the internal topics' permissions worded as in {@link #line}
     */
    public List<String> missingOnRepartitionTopics(Admin admin, long timeoutMs) throws InterruptedException {
        Set<String> missing = new LinkedHashSet<>();
        Set<String> names = answer(admin.listTopics().names(), timeoutMs, missing);
        if (names == null) {
            return List.copyOf(missing);
        }
        List<String> repartition = names.stream().filter(n -> n.startsWith(applicationId + "-") && n.endsWith("-repartition"))
                .sorted().toList();
        if (repartition.isEmpty()) {
            return List.of();
        }
        Map<String, KafkaFuture<TopicDescription>> topics = admin.describeTopics(repartition, new DescribeTopicsOptions()
                .includeAuthorizedOperations(true)).topicNameValues();
        for (String topic : repartition) {
            TopicDescription described = answer(topics.get(topic), timeoutMs, missing, topicNeeds(topic));
            if (described != null && !(allows(described, AclOperation.READ) && allows(described, AclOperation.WRITE)
                    && allows(described, AclOperation.DELETE))) {
                missing.add(topicNeeds(topic));
            }
        }
        return List.copyOf(missing);
    }

    /** The one line for what {@link #missing} found. */
    public String line(List<String> missing) {
        return "not authorized: the app (application id " + applicationId + ") needs " + String.join("; ", missing)
                + (missing.size() == 1 ? ": grant it to its principal with an ACL" : ": grant them to its principal with ACLs");
    }

    /**
     * The permission an authorization failure anywhere in {@code e}'s cause chain stands for, worded as in
     * {@link #line}; empty when the failure is no authorization failure.
     */
    public Optional<String> describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AuthorizationException a) {
                return Optional.of(line(List.of(needs(a))));
            }
        }
        return Optional.empty();
    }

    private String needs(AuthorizationException a) {
        if (a instanceof TopicAuthorizationException t && !t.unauthorizedTopics().isEmpty()) {
            return String.join("; ", t.unauthorizedTopics().stream().sorted().map(this::topicNeeds).distinct().toList());
        }
        if (a instanceof TopicAuthorizationException) {
            return internalTopicsNeed();
        }
        if (a instanceof GroupAuthorizationException) {
            return "READ on group " + applicationId;
        }
        if (a instanceof TransactionalIdAuthorizationException) {
            return "WRITE on transactional ids prefixed " + applicationId + "- (exactly-once)";
        }
        String m = a.getMessage() == null ? a.getClass().getSimpleName() : a.getMessage();
        return a instanceof ClusterAuthorizationException ? "a cluster permission (" + m + ")" : "a permission (" + m + ")";
    }

    private String topicNeeds(String topic) {
        if (topic.equals(config.deltasTopic())) {
            return "READ on topic " + topic;
        }
        if (topic.startsWith(applicationId + "-")) {
            return internalTopicsNeed();
        }
        return "WRITE on topic " + topic;
    }

    private String internalTopicsNeed() {
        return "READ, WRITE, CREATE and DELETE on topics prefixed " + applicationId + "- (its internal topics)";
    }

    private static boolean allows(TopicDescription topic, AclOperation operation) {
        Set<AclOperation> ops = topic == null ? null : topic.authorizedOperations();
        return ops == null || ops.contains(operation) || ops.contains(AclOperation.ALL);
    }

    /** The future's value; null when it failed or timed out, adding the permission when it failed on one. */
    private <T> T answer(KafkaFuture<T> future, long timeoutMs, Set<String> missing) throws InterruptedException {
        return answer(future, timeoutMs, missing, null);
    }

    /** As {@link #answer(KafkaFuture, long, Set)}, an authorization failure standing for {@code needs} when given. */
    private <T> T answer(KafkaFuture<T> future, long timeoutMs, Set<String> missing, String needs) throws InterruptedException {
        try {
            return future.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AuthorizationException a) {
                missing.add(needs != null ? needs : needs(a));
            }
            return null;
        } catch (TimeoutException e) {
            return null;
        }
    }
}
