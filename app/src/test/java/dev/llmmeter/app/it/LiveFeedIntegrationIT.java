package dev.llmmeter.app.it;

import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.serve.MeteringView;
import dev.llmmeter.serve.feed.LiveFeed;
import dev.llmmeter.contract.OutputTopics;
import dev.llmmeter.contract.StreamStatus;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** serve's feed on a real broker, the topics written by a transactional producer as the topology writes them. */
class LiveFeedIntegrationIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    private static final Duration LOADED = Duration.ofSeconds(60); // a bound for a loaded machine, not an expectation

    /** A stream record as the topology writes it. */
    private static String streamRecord(String id, StreamStatus.State state, double tps, long output, long ts) {
        return new String(Topics.STREAMS.serializeValue(new StreamStatus(id, "m", "t", state, tps, output, 0, 100L, 1000L, ts - 2000, ts)),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    private static OutputTopics topics(String prefix) {
        return OutputTopics.named(prefix + ".stats", prefix + ".insights", prefix + ".streams");
    }

    private static Properties client() {
        Properties p = new Properties();
        p.putAll(kafka.clientConfig());
        return p;
    }

    private static KafkaProducer<String, String> producer(String transactionalId) {
        Properties p = client();
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
        producer.initTransactions();
        return producer;
    }

    /** Each tick in a transaction of its own, as the topology commits under exactly-once: a commit marker apiece. */
    private static void ticks(String topic, long... ts) {
        try (KafkaProducer<String, String> producer = producer(topic + "-writer")) {
            for (long t : ts) {
                producer.beginTransaction();
                producer.send(new ProducerRecord<>(topic, null, t, "global", stats(t)));
                producer.commitTransaction();
            }
        }
    }

    private static String stats(long ts) {
        return new String(Topics.STATS.serializeValue(new Stats(10.0, true, false, 12.0, 8.0, 1, ts)), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static long base() {
        return (System.currentTimeMillis() / 1000 - 3600) * 1000;
    }

    @Test
    @DisplayName("a fresh feed under exactly-once holds the last 600 ticks, though they take 1,200 offsets")
    void aFreshFeedUnderExactlyOnceHoldsTheLastSixHundredTicks() throws Exception {
        OutputTopics t = topics("ring");
        kafka.createTopic(t.stats().name(), 1);
        long base = base();
        ticks(t.stats().name(), LongStream.range(0, 700).map(i -> base + i * 1000).toArray());

        MeteringView view = new MeteringView();
        List<Long> delivered = new CopyOnWriteArrayList<>();
        view.onTick(s -> delivered.add(s.ts()));
        try (LiveFeed feed = new LiveFeed(client(), view, LiveFeed.Settings.defaults(t)).start()) {
            await("feed ready").atMost(LOADED).until(() -> feed.notReadyReason() == null);
        }
        assertEquals(LongStream.range(100, 700).mapToObj(i -> base + i * 1000).toList(), delivered);
    }

    @Test
    @DisplayName("a fresh feed knows the streams that ended in the last hour, as /api/streams promises")
    void aFreshFeedKnowsTheStreamsOfTheLastHour() throws Exception {
        OutputTopics t = topics("hour");
        kafka.createTopic(t.stats().name(), 1);
        kafka.createTopic(t.streams().name(), 2);
        long now = System.currentTimeMillis() / 1000 * 1000;
        ticks(t.stats().name(), now);
        long tenMinutesAgo = now - 600_000;
        String ended = streamRecord("s-ended", StreamStatus.State.ENDED, 16.0, 4, tenMinutesAgo);
        try (KafkaProducer<String, String> producer = producer("hour-streams")) {
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(t.streams().name(), null, tenMinutesAgo, "s-ended", ended));
            producer.commitTransaction();
        }

        MeteringView view = new MeteringView();
        try (LiveFeed feed = new LiveFeed(client(), view, LiveFeed.Settings.defaults(t)).start()) {
            await("feed ready").atMost(LOADED).until(() -> feed.notReadyReason() == null);
            assertEquals(ended, new String(t.streams().serializeValue(view.stream("s-ended").orElseThrow()), java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    @Test
    @DisplayName("final stream records written before the feed started are history, the gen_ai histograms count what comes after, a record delivered twice once")
    void theGenAiHistogramsCountOnlyWhatIsNewAndEachStreamOnce() throws Exception {
        OutputTopics t = topics("genai");
        kafka.createTopic(t.stats().name(), 1);
        kafka.createTopic(t.streams().name(), 2);
        long now = System.currentTimeMillis() / 1000 * 1000;
        ticks(t.stats().name(), now);
        try (KafkaProducer<String, String> producer = producer("genai-streams")) {
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(t.streams().name(), null, now - 60_000, "s-old",
                    streamRecord("s-old", StreamStatus.State.ENDED, 16.0, 4, now - 60_000)));
            producer.commitTransaction();
        }

        MeteringView view = new MeteringView();
        io.prometheus.metrics.model.registry.PrometheusRegistry registry = new io.prometheus.metrics.model.registry.PrometheusRegistry();
        dev.llmmeter.serve.metrics.GenAiMetrics genAi = new dev.llmmeter.serve.metrics.GenAiMetrics(registry);
        List<String> seen = new CopyOnWriteArrayList<>();
        view.onStream((s, history) -> seen.add(s.streamId() + (history ? " history" : " new")));
        view.onStream(genAi::offer);
        try (LiveFeed feed = new LiveFeed(client(), view, LiveFeed.Settings.defaults(t)).start()) {
            await("feed ready").atMost(LOADED).until(() -> feed.notReadyReason() == null);
            String fresh = streamRecord("s-new", StreamStatus.State.ENDED, 16.0, 9, now);
            try (KafkaProducer<String, String> producer = producer("genai-streams")) {
                for (int i = 0; i < 2; i++) { // the same final record twice, as at-least-once may deliver it
                    producer.beginTransaction();
                    producer.send(new ProducerRecord<>(t.streams().name(), null, now, "s-new", fresh));
                    producer.commitTransaction();
                }
            }
            await("both deliveries read").atMost(LOADED).until(() -> seen.size() == 3);
            assertEquals(List.of("s-old history", "s-new new", "s-new new"), seen);
            assertEquals(1, genAi.repeats());
            io.prometheus.metrics.model.snapshots.HistogramSnapshot tokens = registry.scrape().stream()
                    .filter(m -> m.getMetadata().getPrometheusName().equals("gen_ai_client_token_usage"))
                    .map(io.prometheus.metrics.model.snapshots.HistogramSnapshot.class::cast).findFirst().orElseThrow();
            assertEquals(1, tokens.getDataPoints().get(0).getCount());
            assertEquals(9.0, tokens.getDataPoints().get(0).getSum());
        }
    }

    @Test
    @DisplayName("the hour a fresh feed reads back is the topology's last hour (its newest record's time), whatever serve's clock says")
    void aFreshFeedMeasuresItsLookBackOnTheTopologysClock() throws Exception {
        OutputTopics t = topics("skew");
        kafka.createTopic(t.stats().name(), 1);
        kafka.createTopic(t.streams().name(), 2);
        long topologyNow = System.currentTimeMillis() / 1000 * 1000 - 3 * 3_600_000L; // its clock 3 h behind ours
        ticks(t.stats().name(), topologyNow);
        String ancient = streamRecord("s-ancient", StreamStatus.State.ENDED, 1.0, 1, topologyNow - 7_200_000);
        String ended = streamRecord("s-ended", StreamStatus.State.ENDED, 16.0, 4, topologyNow - 600_000);
        String live = streamRecord("s-live", StreamStatus.State.ACTIVE, 20.0, 40, topologyNow);
        try (KafkaProducer<String, String> producer = producer("skew-streams")) {
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(t.streams().name(), null, topologyNow - 7_200_000, "s-ancient", ancient));
            producer.send(new ProducerRecord<>(t.streams().name(), null, topologyNow - 600_000, "s-ended", ended));
            producer.send(new ProducerRecord<>(t.streams().name(), null, topologyNow, "s-live", live));
            producer.commitTransaction();
        }

        MeteringView view = new MeteringView();
        try (LiveFeed feed = new LiveFeed(client(), view, LiveFeed.Settings.defaults(t)).start()) {
            await("feed ready").atMost(LOADED).until(() -> feed.notReadyReason() == null);
            await("streams read back").atMost(LOADED).until(() -> view.stream("s-live").isPresent());
            assertEquals(ended, new String(t.streams().serializeValue(view.stream("s-ended").orElseThrow()), java.nio.charset.StandardCharsets.UTF_8));
            assertTrue(view.stream("s-ancient").isEmpty(), "two hours before the topology's newest record: not read back");
        }
    }

    @Test
    @DisplayName("a deleted stats topic makes the feed unready; recreated, with more partitions, it is read again")
    void aDeletedStatsTopicMakesTheFeedUnreadyAndARecreatedOneIsRead() throws Exception {
        OutputTopics t = topics("gone");
        kafka.createTopic(t.stats().name(), 1);
        long base = base();
        ticks(t.stats().name(), base);
        MeteringView view = new MeteringView();
        List<Long> delivered = new CopyOnWriteArrayList<>();
        view.onTick(s -> delivered.add(s.ts()));
        try (LiveFeed feed = new LiveFeed(client(), view, LiveFeed.Settings.defaults(t)).start();
             Admin admin = Admin.create(kafka.clientConfig())) {
            await("feed ready").atMost(LOADED).until(() -> feed.notReadyReason() == null);

            admin.deleteTopics(List.of(t.stats().name())).all().get();
            await("unready").atMost(LOADED).until(() -> ("topic " + t.stats().name() + " does not exist (is the topology running?)")
                    .equals(feed.notReadyReason()));

            kafka.createTopic(t.stats().name(), 3);
            try (KafkaProducer<String, String> producer = producer("gone-again")) {
                producer.beginTransaction();
                producer.send(new ProducerRecord<>(t.stats().name(), 2, base + 1000, "global", stats(base + 1000))); // a partition it lacked
                producer.commitTransaction();
            }
            await("the recreated topic's tick").atMost(LOADED).until(() -> delivered.size() == 2);
            await("ready again").atMost(LOADED).until(() -> feed.notReadyReason() == null);
        }
        assertEquals(List.of(base, base + 1000), delivered);
    }

    @Test
    @DisplayName("a failure while reading is retried; one that lasts past the limit fails the health check, and recovery clears it")
    void aFailingFeedRecoversOrFailsTheHealthCheck() throws Exception {
        OutputTopics t = topics("fail");
        kafka.createTopic(t.stats().name(), 1);
        long base = base();
        ticks(t.stats().name(), base);
        MeteringView view = new MeteringView();
        List<Long> delivered = new CopyOnWriteArrayList<>();
        AtomicBoolean broken = new AtomicBoolean();
        view.onTick(s -> {
            if (broken.get()) {
                throw new IllegalStateException("the view cannot take tick " + s.ts());
            }
            delivered.add(s.ts());
        });
        LiveFeed.Settings settings = new LiveFeed.Settings(600, Duration.ofSeconds(60), Duration.ofHours(1), Duration.ofSeconds(2), t);
        try (LiveFeed feed = new LiveFeed(client(), view, settings).start()) {
            await("feed ready").atMost(LOADED).until(() -> feed.notReadyReason() == null);
            broken.set(true);
            ticks(t.stats().name(), base + 1000);
            await("unready").atMost(LOADED).until(() -> ("feed failing: IllegalStateException: the view cannot take tick " + (base + 1000))
                    .equals(feed.notReadyReason()));
            await("health failing").atMost(LOADED).until(() -> ("the feed has failed for more than 2 s: IllegalStateException: "
                    + "the view cannot take tick " + (base + 1000)).equals(feed.failure()));

            broken.set(false);
            ticks(t.stats().name(), base + 2000);
            await("the next tick").atMost(LOADED).until(() -> delivered.contains(base + 2000));
            await("ready again").atMost(LOADED).until(() -> feed.notReadyReason() == null);
            assertNull(feed.failure());
        }
        assertEquals(List.of(base, base + 2000), delivered);
    }

    @Test
    @DisplayName("a cluster that stops answering is waited for: unready naming it, healthy all along, ready again once it is back")
    void aClusterThatStopsAnsweringIsWaitedFor() throws Exception {
        OutputTopics t = topics("outage");
        kafka.createTopic(t.stats().name(), 1);
        long base = base();
        ticks(t.stats().name(), base);
        MeteringView view = new MeteringView();
        try (LiveFeed feed = new LiveFeed(client(), view, LiveFeed.Settings.defaults(t)).start()) {
            await("feed ready").atMost(LOADED).until(() -> feed.notReadyReason() == null);
            kafka.stop();
            await("unready").atMost(LOADED).until(() -> ("cannot reach Kafka at " + kafka.bootstrapServers()
                    + " (no answer within 10 s); trying again every 5 s").equals(feed.notReadyReason()));
            assertNull(feed.failure());
            kafka.start();
            ticks(t.stats().name(), base + 1000);
            await("ready again").atMost(LOADED).until(() -> feed.notReadyReason() == null);
            await("the next tick").atMost(LOADED).until(() -> view.latestStats().orElseThrow().ts() == base + 1000);
            assertNull(feed.failure());
        }
    }
}
