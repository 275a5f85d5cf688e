package dev.llmmeter.app.it;

import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.devkit.EmbeddedKafka;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.serve.MeteringService;
import dev.llmmeter.serve.MeteringView;
import dev.llmmeter.serve.feed.LiveFeed;
import dev.llmmeter.contract.OutputTopics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertNull;

/** serve's feed on a broker that authorizes: a READ permission revoked under it, then granted again. */
class LiveFeedAclIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension(b -> b
            .sasl(users())
            .brokerConfig("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
            // the broker's own user, the controller listener (PLAINTEXT) and the test's admin
            .brokerConfig("super.users", "User:__embedded_broker;User:ANONYMOUS;User:admin"));

    private static final Duration LOADED = Duration.ofSeconds(60);

    /** admin first: the broker's client settings are the first user's. */
    private static Map<String, String> users() {
        Map<String, String> users = new java.util.LinkedHashMap<>();
        users.put("admin", "admin-secret");
        users.put("reader", "reader-secret");
        return users;
    }
    private static final AclBindingFilter ANY_READ = new AclBindingFilter(new ResourcePatternFilter(ResourceType.TOPIC, "acl.", PatternType.PREFIXED),
            new AccessControlEntryFilter("User:reader", "*", AclOperation.READ, AclPermissionType.ALLOW));
    private static final AclBinding READ = new AclBinding(new ResourcePattern(ResourceType.TOPIC, "acl.", PatternType.PREFIXED),
            new AccessControlEntry("User:reader", "*", AclOperation.READ, AclPermissionType.ALLOW));
    private static final AclBinding DESCRIBE = new AclBinding(new ResourcePattern(ResourceType.TOPIC, "acl.", PatternType.PREFIXED),
            new AccessControlEntry("User:reader", "*", AclOperation.DESCRIBE, AclPermissionType.ALLOW));

    private static void tick(long ts) {
        tick("acl.stats", ts);
    }

    private static void tick(String topic, long ts) {
        Properties p = new Properties();
        p.putAll(kafka.clientConfig());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, null, ts, "global",
                    new String(Topics.STATS.serializeValue(new Stats(10.0, true, false, 12.0, 8.0, 1, ts)), StandardCharsets.UTF_8)));
        }
    }

    @Test
    @DisplayName("a revoked READ makes the feed unready, then fails /healthz past the limit; granted again, the feed reads on")
    void aRevokedPermissionFailsTheHealthCheckAndAGrantedOneRecovers() throws Exception {
        OutputTopics t = OutputTopics.named("acl.stats", "acl.insights", "acl.streams");
        kafka.createTopic(t.stats().name(), 1);
        long base = (System.currentTimeMillis() / 1000 - 100) * 1000;
        tick(base);
        Properties reader = reader();
        MeteringView view = new MeteringView();
        LiveFeed.Settings settings = new LiveFeed.Settings(600, Duration.ofSeconds(60), Duration.ofHours(1), Duration.ofSeconds(3), t);
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            admin.createAcls(List.of(READ, DESCRIBE)).all().get();
            try (LiveFeed feed = new LiveFeed(reader, view, settings).start()) {
                await("feed ready").atMost(LOADED).until(() -> feed.notReadyReason() == null);

                admin.deleteAcls(List.of(ANY_READ)).all().get();
                tick(base + 1000);
                await("unready").atMost(LOADED).until(() -> String.valueOf(feed.notReadyReason())
                        .equals("feed failing: TopicAuthorizationException: Not authorized to access topics: [acl.stats]"));
                await("health failing").atMost(LOADED).until(() -> String.valueOf(feed.failure()).equals(
                        "the feed has failed for more than 3 s: TopicAuthorizationException: Not authorized to access topics: [acl.stats]"));

                admin.createAcls(List.of(READ)).all().get();
                await("the tick read once READ is granted again").atMost(LOADED)
                        .until(() -> view.latestStats().orElseThrow().ts() == base + 1000);
                await("ready again").atMost(LOADED).until(() -> feed.notReadyReason() == null);
                assertNull(feed.failure());
            }
        }
    }

    private static Properties reader() {
        Properties reader = new Properties();
        reader.put("bootstrap.servers", kafka.bootstrapServers());
        reader.putAll(EmbeddedKafka.saslClientConfig("PLAIN", "reader", "reader-secret"));
        return reader;
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @DisplayName("serve over HTTP: a READ revoked for over a minute turns /healthz 503 (restart me) and /readyz says why; granted again, both are 200")
    void serveFailsItsHealthCheckOnceARevokedPermissionLastsAMinute() throws Exception {
        OutputTopics t = OutputTopics.named("acl.http.stats", "acl.http.insights", "acl.http.streams");
        kafka.createTopic(t.stats().name(), 1);
        long base = (System.currentTimeMillis() / 1000 - 100) * 1000;
        tick(t.stats().name(), base);
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            admin.createAcls(List.of(READ, DESCRIBE)).all().get();
            try (MeteringService service = MeteringService.start(reader(), t, "127.0.0.1", 0)) {
                String at = "http://127.0.0.1:" + service.port();
                await("ready").atMost(LOADED).until(() -> get(at + "/readyz").statusCode() == 200);

                admin.deleteAcls(List.of(ANY_READ)).all().get();
                tick(t.stats().name(), base + 1000);
                await("unready, saying why").atMost(LOADED).until(() -> get(at + "/readyz").body().contains("TopicAuthorizationException"));
                await("/healthz failing").atMost(Duration.ofSeconds(150)).until(() -> get(at + "/healthz").statusCode() == 503);

                admin.createAcls(List.of(READ)).all().get();
                await("healthy again").atMost(LOADED).until(() -> get(at + "/healthz").statusCode() == 200);
                await("ready again").atMost(LOADED).until(() -> get(at + "/readyz").statusCode() == 200);
            }
        }
    }
}
