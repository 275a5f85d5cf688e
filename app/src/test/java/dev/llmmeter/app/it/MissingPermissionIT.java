package dev.llmmeter.app.it;

import dev.llmmeter.contract.Topics;
import dev.llmmeter.devkit.EmbeddedKafka;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `metering topology` as a principal that may only READ, WRITE and DESCRIBE the topics under the
 * {@code metering.} prefix, on a broker with StandardAuthorizer and SASL/SCRAM: the app also needs its
 * consumer group, its transactional ids and its internal topics ({@code llm-metering-...}), and says which
 * is missing in one line, exit 1, no stack trace. The process runs with the service's own logging
 * (log4j2.xml), so stderr is exactly what an operator sees.
 */
class MissingPermissionIT {
    static final String ADMIN = "admin";
    static final String USER = "metering";
    static final String PASSWORD = "metering-secret";

    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension(b -> b.sasl(users()).authorizer(ADMIN));

    private static Map<String, String> users() {
        Map<String, String> users = new LinkedHashMap<>();
        users.put(ADMIN, "admin-secret"); // the first: kafka.clientConfig() is the admin's
        users.put(USER, PASSWORD);
        return users;
    }

    @Test
    void withOnlyTheMeteringTopicPrefixAllowedTopologyExitsOneNamingEveryMissingPermissionInOneLine(@TempDir Path work) throws Exception {
        List<AclBinding> acls = new ArrayList<>();
        for (AclOperation op : List.of(AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE)) {
            acls.add(allow(ResourceType.TOPIC, "metering.", PatternType.PREFIXED, op));
        }
        grant(acls);
        Path config = saslConfig(work);

        ServiceProcess.Run run = ServiceProcess.run(work, "topology", "--bootstrap-servers", kafka.bootstrapServers(), "--config", config.toString(),
                "--state-dir", stateDir("prefix-only").toString());

        revoke(acls);
        assertEquals(1, run.exit(), run.toString());
        assertEquals("", run.out(), run.toString());
        assertEquals(List.of("metering: not authorized: the app (application id llm-metering) needs READ, WRITE, CREATE and DELETE "
                + "on topics prefixed llm-metering- (its internal topics); READ on group llm-metering; WRITE on transactional "
                + "ids prefixed llm-metering- (exactly-once): grant them to its principal with ACLs"),
                operatorLines(run), run.toString());
    }

    @Test
    void aPermissionRevokedWhileRunningStopsTheAppWithOneLineNamingItExitOne(@TempDir Path work) throws Exception {
        ServiceProcess.Run run = revokeWhileRunning(work, "revoked", ResourceType.GROUP);
        assertEquals(List.of("metering: running (application id revoked); Ctrl-C to stop",
                "metering: not authorized: the app (application id revoked) needs READ on group revoked: "
                        + "grant it to its principal with an ACL"), operatorLines(run), run.toString());
    }

    @Test
    void aTransactionalIdPermissionRevokedWhileRunningStopsTheAppWithOneLineNamingItExitOne(@TempDir Path work) throws Exception {
        ServiceProcess.Run run = revokeWhileRunning(work, "revoked-txn", ResourceType.TRANSACTIONAL_ID);
        assertEquals(List.of("metering: running (application id revoked-txn); Ctrl-C to stop",
                "metering: not authorized: the app (application id revoked-txn) needs WRITE on transactional ids "
                        + "prefixed revoked-txn- (exactly-once): grant it to its principal with an ACL"),
                operatorLines(run), run.toString());
    }

    /**
     * Runs {@code topology} as application {@code app} with every permission it needs, waits until its tasks are
     * assigned (the group has a member), revokes its permission on {@code revoked} (its group, or its transactional
     * ids), and returns the run once the app has stopped: exit 1, nothing on stdout.
     */
    private ServiceProcess.Run revokeWhileRunning(Path work, String app, ResourceType revoked) throws Exception {
        AclBinding group = allow(ResourceType.GROUP, app, PatternType.LITERAL, AclOperation.READ);
        AclBinding transactions = allow(ResourceType.TRANSACTIONAL_ID, app + "-", PatternType.PREFIXED, AclOperation.ALL);
        List<AclBinding> acls = List.of(
                allow(ResourceType.TOPIC, "metering.", PatternType.PREFIXED, AclOperation.ALL),
                allow(ResourceType.TOPIC, app + "-", PatternType.PREFIXED, AclOperation.ALL),
                transactions,
                group);
        grant(acls);
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            ServiceProcess.Started started = ServiceProcess.start(work, "topology", "--bootstrap-servers", kafka.bootstrapServers(), "--config", saslConfig(work).toString(),
                    "--application-id", app, "--state-dir", stateDir(app).toString());
            try {
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                        .until(() -> Files.readString(started.err()).contains("metering: running"));
                // Its tasks assigned: the group has a member, so the app has met its group permission.
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                        .until(() -> admin.describeConsumerGroups(List.of(app)).all().get().get(app).members().size() == 1);

                AclBinding taken = revoked == ResourceType.GROUP ? group : transactions;
                admin.deleteAcls(List.of(taken.toFilter())).all().get(30, TimeUnit.SECONDS);

                ServiceProcess.Run run = started.finish();
                assertEquals(1, run.exit(), run.toString());
                assertEquals("", run.out(), run.toString());
                return run;
            } finally {
                started.process().destroyForcibly().waitFor();
                revoke(acls);
            }
        }
    }

    /** The app's own topics, as an administrator creates them for an app that may not. */
    @BeforeAll
    static void topics() throws Exception {
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            admin.createTopics(List.of(new NewTopic(Topics.DELTAS.name(), 2, (short) 1), new NewTopic(Topics.STATS.name(), 1, (short) 1),
                    new NewTopic(Topics.DEAD_LETTERS.name(), 1, (short) 1), new NewTopic(Topics.INSIGHTS.name(), 1, (short) 1),
                    new NewTopic(Topics.USAGE.name(), 1, (short) 1),
                    new NewTopic(Topics.STREAMS.name(), 2, (short) 1).configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG,
                            TopicConfig.CLEANUP_POLICY_COMPACT)))).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static void grant(List<AclBinding> acls) throws Exception {
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
        }
    }

    /** Each test leaves no ACL behind: each runs with exactly its own. */
    private static void revoke(List<AclBinding> acls) throws Exception {
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            admin.deleteAcls(acls.stream().map(AclBinding::toFilter).toList()).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static AclBinding allow(ResourceType type, String name, PatternType pattern, AclOperation op) {
        return new AclBinding(new ResourcePattern(type, name, pattern), new AccessControlEntry("User:" + USER, "*", op, AclPermissionType.ALLOW));
    }

    /** The settings of a SASL/SCRAM client logging in as {@link #USER}. */
    private static Path saslConfig(Path work) throws java.io.IOException {
        String jaas = EmbeddedKafka.saslClientConfig("SCRAM-SHA-512", USER, PASSWORD).get(SaslConfigs.SASL_JAAS_CONFIG).toString();
        return Files.writeString(work.resolve("cluster.properties"), "security.protocol=SASL_PLAINTEXT\n"
                + "sasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=" + jaas.replace("\\", "\\\\") + "\n");
    }

    /** Under target/: Kafka Streams warns about a state directory in the OS's temporary directory. */
    /**
     * stderr as the operator reads it, less Kafka Streams' advice against a state directory under the OS temp
     * directory, which it gives wherever this checkout lies under /tmp (as a CI clone may).
     */
    private static List<String> operatorLines(ServiceProcess.Run run) {
        return run.err().lines().filter(l -> !l.contains("StateDirectory - Using an OS temp directory in the state.dir")).toList();
    }

    private static Path stateDir(String name) throws java.io.IOException {
        return Files.createTempDirectory(Files.createDirectories(Path.of("target", "state")).toAbsolutePath(), name);
    }

}
