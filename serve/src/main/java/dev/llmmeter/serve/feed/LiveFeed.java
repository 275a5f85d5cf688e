package dev.llmmeter.serve.feed;

import dev.llmmeter.serve.MeteringView;
import dev.llmmeter.serve.Readiness;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Feeds a {@link MeteringView} from the metering topics with one {@link KafkaConsumer}: no consumer group
 * (every serve instance reads everything; nothing to share or commit), {@code read_committed} (the
 * topology writes transactionally), positioned a little before the end so a fresh server shows the
 * latest figures at once and can resume SSE clients from recent ticks.
 *
 * <p>A topic that does not exist yet (an older topology without insights, or one not started) is looked
 * for again every {@link #TOPIC_RECHECK}, and logged once, never with a stack trace.
 *
 * <p>Ready ({@link #notReadyReason()}) once {@code metering.stats} is assigned and the consumer has reached,
 * at least once, the end offsets every assigned partition had when it was assigned.
 */
public final class LiveFeed implements Readiness, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LiveFeed.class);
    static final Duration TOPIC_RECHECK = Duration.ofSeconds(5);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(10);

    /** How far back to start; {@link #defaults()} are what {@code serve} runs with. */
    public record Settings(int statsHistory, Duration lookback, ServeTopics topics) {
        public static Settings defaults() {
            return defaults(ServeTopics.DEFAULTS);
        }

        public static Settings defaults(ServeTopics topics) {
            // statsHistory fills the SSE resume ring (ten minutes of ticks); insights and streams from the last
            // minute give every group and live stream its latest record.
            return new Settings(600, Duration.ofSeconds(60), topics);
        }
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final MeteringView view;
    private final Settings settings;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Set<String> assignedTopics = new HashSet<>();
    private final Set<String> reportedMissing = new HashSet<>();
    private final Map<TopicPartition, Long> catchUpTo = new HashMap<>();
    private volatile boolean caughtUp;
    private volatile String notReady = "not started";
    private volatile boolean closing;

    /** Client settings for a cluster given only its bootstrap servers. */
    public static Properties settingsFor(String bootstrapServers) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return p;
    }

    /**
     * @param clientSettings consumer settings (bootstrap servers, security, ...); group, offsets commit,
     *                       isolation and deserializers are set here
     * @throws KafkaException when the settings are invalid
     */
    public LiveFeed(Properties clientSettings, MeteringView view, Settings settings) {
        Properties p = new Properties();
        Set<String> known = ConsumerConfig.configNames();
        clientSettings.stringPropertyNames().stream().filter(known::contains)
                .forEach(k -> p.put(k, clientSettings.getProperty(k)));
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "metering-serve");
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.view = view;
        this.settings = settings;
        this.thread = new Thread(this::run, "metering-serve-feed");
        this.thread.setDaemon(true);
    }

    public LiveFeed(Properties clientSettings, MeteringView view) {
        this(clientSettings, view, Settings.defaults());
    }

    public LiveFeed start() {
        thread.start();
        return this;
    }

    @Override
    public String notReadyReason() {
        return caughtUp ? null : notReady;
    }

    private void run() {
        long nextTopicCheck = 0;
        try {
            while (!closing) {
                if (assignedTopics.size() < 3 && System.nanoTime() - nextTopicCheck >= 0) {
                    assignNewTopics();
                    nextTopicCheck = System.nanoTime() + TOPIC_RECHECK.toNanos();
                }
                if (consumer.assignment().isEmpty()) {
                    if (stopped.await(TOPIC_RECHECK.toMillis(), TimeUnit.MILLISECONDS)) {
                        return;
                    }
                    continue;
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    dispatch(r);
                }
                checkCaughtUp();
            }
        } catch (WakeupException e) {
            // close() asked us to stop
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            notReady = "feed stopped: " + e;
            caughtUp = false;
            log.error("metering feed stopped", e);
        } finally {
            stopped.countDown();
        }
    }

    private void dispatch(ConsumerRecord<byte[], byte[]> r) {
        String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
        ServeTopics topics = settings.topics();
        if (r.topic().equals(topics.stats())) {
            if (r.value() != null) {
                view.offerStats(r.value());
            }
        } else if (r.topic().equals(topics.insights())) {
            view.offerInsight(key, r.value());
        } else if (r.topic().equals(topics.streams())) {
            view.offerStream(key, r.value());
        }
    }

    /** Assigns the wanted topics that exist now and were not assigned yet, positioned near their end. */
    private void assignNewTopics() {
        Map<String, List<PartitionInfo>> existing;
        try {
            existing = consumer.listTopics(METADATA_TIMEOUT);
        } catch (WakeupException e) {
            throw e;
        } catch (KafkaException e) {
            notReady = "cannot list topics: " + e.getMessage();
            log.warn("cannot list topics (will retry in {} s): {}", TOPIC_RECHECK.toSeconds(), e.getMessage());
            return;
        }
        List<TopicPartition> added = new ArrayList<>();
        for (String topic : List.of(settings.topics().stats(), settings.topics().insights(), settings.topics().streams())) {
            if (assignedTopics.contains(topic)) {
                continue;
            }
            List<PartitionInfo> partitions = existing.get(topic);
            if (partitions == null || partitions.isEmpty()) {
                if (reportedMissing.add(topic)) {
                    log.info("topic {} does not exist yet; looking again every {} s", topic, TOPIC_RECHECK.toSeconds());
                }
                continue;
            }
            assignedTopics.add(topic);
            partitions.forEach(p -> added.add(new TopicPartition(topic, p.partition())));
            if (reportedMissing.remove(topic)) {
                log.info("topic {} appeared; reading it", topic);
            }
        }
        if (!assignedTopics.contains(settings.topics().stats())) {
            notReady = "topic " + settings.topics().stats() + " does not exist yet (is the topology running?)";
        }
        if (added.isEmpty()) {
            return;
        }
        List<TopicPartition> all = new ArrayList<>(consumer.assignment());
        all.addAll(added);
        consumer.assign(all);
        Map<TopicPartition, Long> ends = consumer.endOffsets(added, METADATA_TIMEOUT);
        Map<TopicPartition, Long> begins = consumer.beginningOffsets(added, METADATA_TIMEOUT);
        Map<TopicPartition, Long> since = new HashMap<>();
        long from = System.currentTimeMillis() - settings.lookback().toMillis();
        added.stream().filter(tp -> !tp.topic().equals(settings.topics().stats())).forEach(tp -> since.put(tp, from));
        Map<TopicPartition, OffsetAndTimestamp> byTime = since.isEmpty() ? Map.of() : consumer.offsetsForTimes(since, METADATA_TIMEOUT);
        for (TopicPartition tp : added) {
            long start;
            if (tp.topic().equals(settings.topics().stats())) {
                start = Math.max(begins.get(tp), ends.get(tp) - settings.statsHistory());
            } else {
                OffsetAndTimestamp at = byTime.get(tp);
                start = at == null ? ends.get(tp) : at.offset();
            }
            consumer.seek(tp, start);
            catchUpTo.put(tp, ends.get(tp));
        }
        if (caughtUp) {
            return; // a topic that appears later does not make a ready server unready
        }
        notReady = "catching up with " + assignedTopics;
    }

    private void checkCaughtUp() {
        if (caughtUp || catchUpTo.isEmpty()) {
            return;
        }
        catchUpTo.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
        if (catchUpTo.isEmpty() && assignedTopics.contains(settings.topics().stats())) {
            caughtUp = true;
            log.info("caught up with {}", assignedTopics);
        }
    }

    @Override
    public void close() {
        closing = true;
        consumer.wakeup();
        stopped.countDown();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
}
