package dev.llmmeter.app.it;

import dev.llmmeter.contract.Topics;
import dev.llmmeter.devkit.ConstantRateStreams;
import dev.llmmeter.devkit.EmbeddedKafka;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.serve.MeteringService;
import dev.llmmeter.topology.StoreNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import dev.llmmeter.app.it.AclTables.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The ACLs of docs/operations.md (Permissions (ACLs)), each principal with exactly its table, on a broker with KRaft's
 * StandardAuthorizer and SASL/SCRAM: the app meters the producer's deltas, the reader reads the results, the
 * dead-letter reader reads the dead letters, and each is refused the rest; the app with one of its ACLs taken away
 * says which in one line, exit 1.
 */
class AclMatrixIT {
    static final String ADMIN = "admin";
    static final String APP = AclTables.APP;
    static final String PRODUCER = AclTables.PRODUCER;
    static final String READER = AclTables.READER;
    static final String DLQ = AclTables.DLQ;
    /** The app's principal with one of its ACLs taken away: a user of its own, so the full table stays with {@link #APP}. */
    static final String CUT = "cut";
    static final String APP_ID = AclTables.APP_ID;

    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension(b -> b.sasl(users()).authorizer(ADMIN));

    private static Map<String, String> users() {
        Map<String, String> users = new LinkedHashMap<>();
        users.put(ADMIN, "admin-secret"); // the first: kafka.clientConfig() is the admin's
        for (String user : List.of(APP, PRODUCER, READER, DLQ, CUT)) {
            users.put(user, password(user));
        }
        return users;
    }

    static String password(String user) {
        return user + "-pw-" + "Zq7xK2"; // distinctive: it must never show up in what a command prints
    }

    @BeforeAll
    static void topicsAndAcls() throws Exception {
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            admin.createTopics(List.of(new NewTopic(Topics.DELTAS.name(), 2, (short) 1), new NewTopic(Topics.STATS.name(), 1, (short) 1),
                    new NewTopic(Topics.DEAD_LETTERS.name(), 1, (short) 1), new NewTopic(Topics.INSIGHTS.name(), 1, (short) 1),
                    new NewTopic(Topics.USAGE.name(), 1, (short) 1),
                    new NewTopic(Topics.STREAMS.name(), 2, (short) 1).configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG,
                            TopicConfig.CLEANUP_POLICY_COMPACT)))).all().get(30, TimeUnit.SECONDS);
            List<AclBinding> acls = new ArrayList<>();
            AclTables.TABLES.forEach((user, rows) -> acls.addAll(AclTables.bindings(user, rows)));
            admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    @DisplayName("each principal with exactly its ACLs: the app meters the producer's deltas, the reader reads the results, the dead-letter reader the dead letters; each is refused the rest")
    void eachPrincipalWorksWithExactlyItsAclsAndIsRefusedTheRest(@TempDir Path work) throws Exception {
        // The app as an operator runs it, its credentials from the environment only, logging at INFO.
        Map<String, String> env = Map.of("METERING_SECURITY_PROTOCOL", "SASL_PLAINTEXT", "METERING_SASL_MECHANISM", "SCRAM-SHA-512",
                "METERING_SASL_JAAS_CONFIG", jaas(APP), "METERING_LOG_LEVEL", "INFO",
                // Kafka Streams deletes what it has read of its repartition topics every 30 s; here every second.
                "METERING_REPARTITION_PURGE_INTERVAL_MS", "1000");
        ServiceProcess.Started app = ServiceProcess.start(work, env, "topology", "--bootstrap-servers", kafka.bootstrapServers(),
                "--state-dir", stateDir("matrix").toString());
        try (ConstantRateStreams producer = new ConstantRateStreams(kafka.bootstrapServers(), client(PRODUCER), "acl", 10.0, 5.0)) {
            await("the app running").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                    .failFast("the app stopped", () -> {
                        if (!app.process().isAlive()) {
                            fail("the app stopped: " + Files.readString(app.err()));
                        }
                        return false;
                    })
                    .until(() -> Files.readString(app.err()).contains("metering: running"));

            // The reader: tail (the command) and serve's feeds read every output.
            try (StatsCollector stats = new StatsCollector(kafka.bootstrapServers(), clientMap(READER))) {
                stats.await(s -> s.active() == 2, Duration.ofSeconds(60), "the producer's two streams metered");
            }
            ServiceProcess.Run tail = ServiceProcess.inProcess("tail", "--bootstrap-servers", kafka.bootstrapServers(),
                    "--config", config(work, READER).toString(), "--json", "--history", "1", "--max-records", "1");
            assertEquals(0, tail.exit(), tail.toString());
            assertTrue(Topics.STATS.deserializeValue(tail.out().strip().getBytes(StandardCharsets.UTF_8)).active() >= 0, tail.toString());
            try (MeteringService serve = MeteringService.start(client(READER), "127.0.0.1", 0)) {
                String at = "http://127.0.0.1:" + serve.port();
                await("serve ready, every feed read").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                        .until(() -> get(at + "/readyz").statusCode() == 200);
                await("a stream's record read from " + Topics.STREAMS.name()).atMost(Duration.ofSeconds(60)).ignoreExceptions()
                        .until(() -> get(at + "/api/streams/acl-0").statusCode() == 200);
            }

            // DELETE on its internal topics: Kafka Streams purges its repartition topics, which keep records forever
            // (retention.ms=-1) otherwise.
            TopicPartition partials = new TopicPartition(APP_ID + "-" + StoreNames.PARTIALS_TOPIC + "-repartition", 0);
            try (Admin admin = Admin.create(kafka.clientConfig())) {
                await("the repartition topic purged").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                        .until(() -> admin.listOffsets(Map.of(partials, OffsetSpec.earliest())).partitionResult(partials)
                                .get(10, TimeUnit.SECONDS).offset() > 0);
                ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, partials.topic());
                assertEquals("-1", admin.describeConfigs(List.of(topic)).all().get(10, TimeUnit.SECONDS).get(topic)
                        .get(TopicConfig.RETENTION_MS_CONFIG).value());
            }

            // A dead letter: the producer may write any bytes; the dead-letter reader reads them back from the DLQ.
            try (KafkaProducer<byte[], byte[]> bad = new KafkaProducer<>(client(PRODUCER), new ByteArraySerializer(), new ByteArraySerializer())) {
                bad.send(new ProducerRecord<>(Topics.DELTAS.name(), "acl-bad".getBytes(StandardCharsets.UTF_8),
                        "not json".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
            }
            Properties dlq = client(DLQ);
            dlq.put(ConsumerConfig.GROUP_ID_CONFIG, AclTables.DLQ_GROUP);
            dlq.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(dlq, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                reader.subscribe(List.of(Topics.DEAD_LETTERS.name()));
                List<String> read = new ArrayList<>();
                await("the dead letter read by the dead-letter reader").atMost(Duration.ofSeconds(60)).until(() -> {
                    for (ConsumerRecord<byte[], byte[]> r : reader.poll(Duration.ofMillis(200))) {
                        read.add(new String(r.value(), StandardCharsets.UTF_8));
                    }
                    return read.contains("not json");
                });
                reader.commitSync(); // its group's offsets: READ on the group suffices
            }
            dlq.remove(ConsumerConfig.GROUP_ID_CONFIG);
            try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(dlq, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                reader.assign(List.of(new TopicPartition(Topics.DEAD_LETTERS.name(), 0)));
                reader.seekToBeginning(reader.assignment());
                List<String> read = new ArrayList<>();
                await("the dead letter read without a group").atMost(Duration.ofSeconds(60)).until(() -> {
                    for (ConsumerRecord<byte[], byte[]> r : reader.poll(Duration.ofMillis(200))) {
                        read.add(new String(r.value(), StandardCharsets.UTF_8));
                    }
                    return read.contains("not json");
                });
            }
        } finally {
            app.process().destroy(); // SIGTERM: a clean stop
        }
        ServiceProcess.Run stopped = app.finish();
        assertEquals(0, stopped.exit(), stopped.toString());
        assertTrue(stopped.err().contains("sasl.jaas.config = [hidden]"), "the clients' settings at INFO: " + stopped.err());
        assertFalse(stopped.err().contains(password(APP)), "the password in the app's log: " + stopped.err());
        assertEquals(List.of(), operatorLines(stopped).stream().filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).toList(),
                "no warning with exactly its ACLs: " + stopped.err());

        // Refusals.
        assertEquals(List.of(Topics.STATS.name()), List.copyOf(refusedReading(PRODUCER, Topics.STATS.name()).unauthorizedTopics()));
        assertEquals(List.of(Topics.STATS.name()), List.copyOf(refusedReading(DLQ, Topics.STATS.name()).unauthorizedTopics()));
        ServiceProcess.Run producerTail = ServiceProcess.inProcess("tail", "--bootstrap-servers", kafka.bootstrapServers(),
                "--config", config(work, PRODUCER).toString(), "--json", "--max-records", "1");
        assertEquals(1, producerTail.exit(), producerTail.toString());
        assertEquals(List.of("metering tail: cannot read metering.stats: Topic authorization failed."), producerTail.err().lines().toList(),
                producerTail.toString());
        try (KafkaProducer<byte[], byte[]> reader = new KafkaProducer<>(client(READER), new ByteArraySerializer(), new ByteArraySerializer())) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> reader.send(new ProducerRecord<>(Topics.DELTAS.name(),
                    "x".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS));
            assertInstanceOf(TopicAuthorizationException.class, e.getCause(), e.toString());
            assertEquals("Not authorized to access topics: [metering.deltas]", e.getCause().getMessage());
        }
    }

    /**
     * The app with one row of its table taken away, at start: one line naming what is missing, exit 1, nothing else on
     * stderr. (MissingPermissionIT has several missing at once, and a group or transactional-id ACL revoked while it runs.)
     */
    @ParameterizedTest(name = "without row {0} of its table")
    @CsvSource(delimiter = '|', value = {
        "0|needs READ on topic metering.deltas: grant it to its principal with an ACL",
        "1|needs WRITE on topic metering.stats; WRITE on topic metering.deltas.dlq; WRITE on topic metering.streams; "
                + "WRITE on topic metering.insights; WRITE on topic metering.usage: grant them to its principal with ACLs",
        "2|needs READ, WRITE, CREATE and DELETE on topics prefixed cut-2- (its internal topics): grant it to its principal with an ACL",
        "3|needs READ on group cut-3: grant it to its principal with an ACL",
        "4|needs WRITE on transactional ids prefixed cut-4- (exactly-once): grant it to its principal with an ACL"})
    void theAppWithOneRowOfItsAclsTakenAwayStopsNamingItInOneLine(int row, String needs, @TempDir Path work) throws Exception {
        String applicationId = "cut-" + row;
        List<Row> rows = new ArrayList<>(AclTables.APP_ACLS.stream().map(r -> r.forApp(applicationId)).toList());
        rows.remove(row);
        withAcls(AclTables.bindings(CUT, rows), () -> {
            ServiceProcess.Run run = topologyAsCut(work, applicationId);
            assertEquals(1, run.exit(), run.toString());
            assertEquals("", run.out(), run.toString());
            assertEquals(List.of("metering: not authorized: the app (application id " + applicationId + ") " + needs), operatorLines(run),
                    run.toString());
        });
    }

    /**
     * Without DELETE on its internal topics the app would run, and Kafka Streams would silently never delete what it
     * has read of its repartition topics: the app stops once they exist, and refuses to start while they do.
     */
    @Test
    void withoutDeleteOnItsInternalTopicsTheAppStopsOnceItsRepartitionTopicsExistAndThenRefusesToStart(@TempDir Path work) throws Exception {
        String applicationId = "cut-delete";
        List<Row> rows = new ArrayList<>(AclTables.APP_ACLS.stream().map(r -> r.forApp(applicationId)).toList());
        Row internal = rows.get(2);
        rows.set(2, new Row(internal.type(), internal.names(), internal.pattern(),
                internal.operations().stream().filter(op -> op != AclOperation.DELETE).toList()));
        String line = "metering: not authorized: the app (application id cut-delete) needs READ, WRITE, CREATE and DELETE on "
                + "topics prefixed cut-delete- (its internal topics): grant it to its principal with an ACL";
        withAcls(AclTables.bindings(CUT, rows), () -> {
            ServiceProcess.Run first = topologyAsCut(work, applicationId);
            assertEquals(1, first.exit(), first.toString());
            assertEquals(List.of("metering: running (application id cut-delete); Ctrl-C to stop", line), operatorLines(first), first.toString());

            ServiceProcess.Run again = topologyAsCut(work, applicationId);
            assertEquals(1, again.exit(), again.toString());
            assertEquals(List.of(line), operatorLines(again), again.toString());
        });
    }

    @Test
    void withoutDescribeConfigsTheAppRunsSayingInOneWarningThatItCannotCheckTheTopicsSettings(@TempDir Path work) throws Exception {
        String applicationId = "cut-describe-configs";
        List<Row> rows = new ArrayList<>(AclTables.APP_ACLS.stream().map(r -> r.forApp(applicationId)).toList());
        assertEquals(List.of(AclOperation.DESCRIBE_CONFIGS), rows.remove(rows.size() - 1).operations());
        withAcls(AclTables.bindings(CUT, rows), () -> {
            ServiceProcess.Started app = ServiceProcess.start(work, "topology", "--bootstrap-servers", kafka.bootstrapServers(),
                    "--config", config(work, CUT).toString(), "--application-id", applicationId, "--state-dir", stateDir(applicationId).toString());
            try {
                await("running").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                        .until(() -> Files.readString(app.err()).contains("metering: running") || !app.process().isAlive());
            } finally {
                app.process().destroy();
            }
            ServiceProcess.Run run = app.finish();
            assertEquals(0, run.exit(), run.toString());
            assertEquals(List.of("WARN  [main] MeteringApp - cannot check the settings (cleanup.policy) of the existing topics "
                            + "[metering.deltas, metering.stats, metering.deltas.dlq, metering.streams]: the principal lacks "
                            + "DESCRIBE_CONFIGS on them; their partition counts are checked",
                    "metering: running (application id cut-describe-configs); Ctrl-C to stop", "metering: stopped cleanly on SIGTERM"),
                    operatorLines(run).stream().map(l -> l.replaceFirst("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} ", "")).toList(), run.toString());
        });
    }

    @Test
    void underAtLeastOnceTheAppRunsWithoutTheTransactionalIdRow(@TempDir Path work) throws Exception {
        String applicationId = "cut-alo";
        List<Row> rows = new ArrayList<>(AclTables.APP_ACLS.stream().map(r -> r.forApp(applicationId)).toList());
        assertEquals(org.apache.kafka.common.resource.ResourceType.TRANSACTIONAL_ID, rows.remove(4).type());
        Path config = Files.writeString(work.resolve("alo.properties"), Files.readString(config(work, CUT))
                + "processing.guarantee=at_least_once\n");
        withAcls(AclTables.bindings(CUT, rows), () -> {
            ServiceProcess.Started app = ServiceProcess.start(work, "topology", "--bootstrap-servers", kafka.bootstrapServers(),
                    "--config", config.toString(), "--application-id", applicationId, "--state-dir", stateDir(applicationId).toString());
            TopicPartition stats = new TopicPartition(Topics.STATS.name(), 0);
            try (Admin admin = Admin.create(kafka.clientConfig())) {
                long before = admin.listOffsets(Map.of(stats, OffsetSpec.latest())).partitionResult(stats).get(10, TimeUnit.SECONDS).offset();
                // Stats published (only this app runs now): its producers write, with no transactional id.
                await("stats published").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                        .until(() -> !app.process().isAlive() || admin.listOffsets(Map.of(stats, OffsetSpec.latest()))
                                .partitionResult(stats).get(10, TimeUnit.SECONDS).offset() > before);
            } finally {
                app.process().destroy();
            }
            ServiceProcess.Run run = app.finish();
            assertEquals(0, run.exit(), run.toString());
            assertEquals(List.of("metering: running (application id cut-alo); Ctrl-C to stop", "metering: stopped cleanly on SIGTERM"),
                    operatorLines(run), run.toString());
        });
    }

    /**
     * Under {@code group.protocol=streams} with {@code num.standby.replicas} set, the app sets its streams group's
     * {@code streams.num.standby.replicas} at start: the ALTER_CONFIGS row on its group is what lets it; without the row
     * the broker refuses the change.
     */
    @Test
    void theAlterConfigsRowOnItsGroupIsWhatLetsTheAppSetItsStreamsGroupsStandbyCount() throws Exception {
        String applicationId = "cut-alter-configs";
        List<Row> all = AclTables.APP_ACLS.stream().map(r -> r.forApp(applicationId)).toList();
        List<Row> without = all.stream().filter(r -> !r.operations().equals(List.of(AclOperation.ALTER_CONFIGS))).toList();
        assertEquals(all.size() - 1, without.size());
        ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, applicationId);
        Map<ConfigResource, java.util.Collection<AlterConfigOp>> standby = Map.of(group,
                List.of(new AlterConfigOp(new ConfigEntry("streams.num.standby.replicas", "1"), AlterConfigOp.OpType.SET)));
        withAcls(AclTables.bindings(CUT, without), () -> {
            try (Admin cut = Admin.create(client(CUT))) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> cut.incrementalAlterConfigs(standby).all().get(30, TimeUnit.SECONDS));
                assertInstanceOf(AuthorizationException.class, e.getCause(), e.toString());
            }
        });
        withAcls(AclTables.bindings(CUT, all), () -> {
            try (Admin cut = Admin.create(client(CUT))) {
                cut.incrementalAlterConfigs(standby).all().get(30, TimeUnit.SECONDS);
            }
        });
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            assertEquals("1", admin.describeConfigs(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group)
                    .get("streams.num.standby.replicas").value());
        }
    }

    private static ServiceProcess.Run topologyAsCut(Path work, String applicationId) throws Exception {
        return ServiceProcess.run(work, "topology", "--bootstrap-servers", kafka.bootstrapServers(), "--config", config(work, CUT).toString(),
                "--application-id", applicationId, "--state-dir", stateDir(applicationId).toString());
    }

    interface Body {
        void run() throws Exception;
    }

    /** Runs {@code body} with these ACLs granted, and takes them away after. */
    private static void withAcls(List<AclBinding> acls, Body body) throws Exception {
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
            try {
                body.run();
            } finally {
                admin.deleteAcls(acls.stream().map(AclBinding::toFilter).toList()).all().get(30, TimeUnit.SECONDS);
            }
        }
    }

    private static TopicAuthorizationException refusedReading(String user, String topic) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(client(user), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.assign(List.of(new TopicPartition(topic, 0)));
            c.seekToBeginning(c.assignment());
            return assertThrows(TopicAuthorizationException.class, () -> {
                for (int i = 0; i < 100; i++) {
                    c.poll(Duration.ofMillis(200));
                }
            });
        }
    }

    static String jaas(String user) {
        return EmbeddedKafka.saslClientConfig("SCRAM-SHA-512", user, password(user)).get(SaslConfigs.SASL_JAAS_CONFIG).toString();
    }

    private static Map<String, Object> clientMap(String user) {
        Map<String, Object> c = new LinkedHashMap<>(EmbeddedKafka.saslClientConfig("SCRAM-SHA-512", user, password(user)));
        c.put("bootstrap.servers", kafka.bootstrapServers());
        return c;
    }

    private static Properties client(String user) {
        Properties p = new Properties();
        p.putAll(clientMap(user));
        return p;
    }

    /** A --config file with the user's SCRAM credentials. */
    private static Path config(Path work, String user) throws java.io.IOException {
        return Files.writeString(work.resolve(user + ".properties"), "security.protocol=SASL_PLAINTEXT\n"
                + "sasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=" + jaas(user).replace("\\", "\\\\") + "\n");
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** stderr less Kafka Streams' advice against a state directory under the OS temp directory (a CI clone under /tmp). */
    private static List<String> operatorLines(ServiceProcess.Run run) {
        return run.err().lines().filter(l -> !l.contains("StateDirectory - Using an OS temp directory in the state.dir")).toList();
    }

    private static Path stateDir(String name) throws java.io.IOException {
        return Files.createTempDirectory(Files.createDirectories(Path.of("target", "state")).toAbsolutePath(), name);
    }
}
