package dev.llmmeter.serve.feed;

import dev.llmmeter.contract.OutputTopics;
import dev.llmmeter.contract.TopicFollower;
import dev.llmmeter.serve.MeteringView;
import dev.llmmeter.serve.Readiness;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Feeds a {@link MeteringView} from the metering topics through a {@link TopicFollower}: no consumer group (every
 * serve instance reads everything; nothing to share or commit), {@code read_committed} (the topology writes
 * transactionally), positioned before the end so a fresh server shows the latest figures at once, can resume SSE
 * clients over the whole resume ring and knows the streams of the last hour.
 *
 * <p>The topics are described every {@link #TOPIC_RECHECK}: one that does not exist yet is read when it appears; a
 * deleted, recreated or repartitioned one is followed, each change logged once.
 *
 * <p>Ready ({@link #notReadyReason()}) while {@code metering.stats} is read and the last look at the topics
 * succeeded, once the consumer has reached, at least once, the end offsets every partition had when first assigned.
 * A failure while reading (a revoked permission, a rotated password, ...) is retried every {@link #TOPIC_RECHECK},
 * and over once the feed has read for twice that without one; one that lasts longer than
 * {@link Settings#failureLimit()} is a {@link #failure()}: {@code /healthz} fails, so an orchestrator restarts the
 * server (with its new settings). An unreachable cluster is no failure: the consumer waits for it.
 */
public final class LiveFeed implements Readiness, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LiveFeed.class);
    static final Duration TOPIC_RECHECK = Duration.ofSeconds(5);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(10);

    /**
     * How far back to start, and how long a failure may last; {@link #defaults()} are what {@code serve} runs with.
     *
     * @param statsHistory    stats records to read back: the SSE resume ring
     * @param insightsLookback insights records of this last stretch of time: each group's latest
     * @param streamsLookback streams records of this last stretch: the view keeps ended streams this long
     * @param failureLimit    how long the feed may fail without a break before {@link #failure()} says so
     */
    public record Settings(int statsHistory, Duration insightsLookback, Duration streamsLookback, Duration failureLimit,
                           OutputTopics topics) {
        public static Settings defaults() {
            return defaults(OutputTopics.DEFAULTS);
        }

        public static Settings defaults(OutputTopics topics) {
            MeteringView.Limits limits = MeteringView.Limits.defaults();
            return new Settings(limits.tickMemory(), Duration.ofSeconds(60), limits.streamRetention(), Duration.ofSeconds(60), topics);
        }
    }

    private final TopicFollower follower;
    private final MeteringView view;
    private final Settings settings;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Map<TopicPartition, Long> catchUpTo = new HashMap<>();
    private final Set<TopicPartition> registered = new HashSet<>();
    private volatile boolean caughtUp;
    private volatile String notReady = "not started";
    private volatile String failing;
    private volatile long failingSince;
    private long lastFailure;
    private volatile String dead;
    private volatile boolean closing;

    /** Client settings for a cluster given only its bootstrap servers. */
    public static Properties settingsFor(String bootstrapServers) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return p;
    }

    /**
     * @param clientSettings client settings (bootstrap servers, security, ...); group, offsets commit, isolation and
     *                       deserializers are set here
     * @throws KafkaException when the settings are invalid
     */
    public LiveFeed(Properties clientSettings, MeteringView view, Settings settings) {
        Map<String, TopicFollower.Start> topics = new LinkedHashMap<>();
        topics.put(settings.topics().stats().name(), TopicFollower.Start.lastRecords(settings.statsHistory()));
        topics.put(settings.topics().insights().name(), TopicFollower.Start.since(settings.insightsLookback()));
        topics.put(settings.topics().streams().name(), TopicFollower.Start.since(settings.streamsLookback()));
        this.follower = new TopicFollower(clientSettings, "metering-serve", topics, TOPIC_RECHECK, METADATA_TIMEOUT, LiveFeed::notice);
        this.view = view;
        this.settings = settings;
        this.thread = new Thread(this::run, "metering-serve-feed");
        this.thread.setDaemon(true);
    }

    public LiveFeed(Properties clientSettings, MeteringView view) {
        this(clientSettings, view, Settings.defaults());
    }

    /** A topic still to come is routine (INFO); anything else the follower says is news for an operator (WARN). */
    private static void notice(String sentence) {
        if (sentence.contains(" does not exist yet;") || sentence.endsWith(" appeared; reading it")) {
            log.info(sentence);
        } else {
            log.warn(sentence);
        }
    }

    public LiveFeed start() {
        thread.start();
        return this;
    }

    @Override
    public String notReadyReason() {
        String f = dead != null ? dead : failing;
        if (f != null) {
            return "feed failing: " + f;
        }
        String problem = follower.problem();
        if (problem != null) {
            return problem;
        }
        if (!caughtUp) {
            return notReady;
        }
        String stats = settings.topics().stats().name();
        return follower.reading(stats) ? null : "topic " + stats + " does not exist (is the topology running?)";
    }

    @Override
    public String failure() {
        if (dead != null) {
            return dead;
        }
        String f = failing;
        return f != null && System.nanoTime() - failingSince > settings.failureLimit().toNanos()
                ? "the feed has failed for more than " + settings.failureLimit().toSeconds() + " s: " + f : null;
    }

    private void run() {
        try {
            while (!closing) {
                try {
                    step();
                    // Clear only after a clean stretch: a consumer may fail one poll in two on a lasting error.
                    if (failing != null && System.nanoTime() - lastFailure > 2 * TOPIC_RECHECK.toNanos()) {
                        log.warn("metering feed reads again");
                        failing = null;
                    }
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    String reason = e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace('\n', ' ');
                    if (failing == null) {
                        failingSince = System.nanoTime();
                    }
                    if (!reason.equals(failing)) {
                        if (e instanceof KafkaException) {
                            log.error("metering feed failed (trying again every {} s): {}", TOPIC_RECHECK.toSeconds(), reason);
                        } else {
                            log.error("metering feed failed (trying again every {} s)", TOPIC_RECHECK.toSeconds(), e);
                        }
                    }
                    failing = reason;
                    lastFailure = System.nanoTime();
                    if (stopped.await(TOPIC_RECHECK.toMillis(), TimeUnit.MILLISECONDS)) {
                        return;
                    }
                }
            }
        } catch (WakeupException e) {
            // close() asked us to stop
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Error e) {
            dead = "feed stopped: " + e;
            log.error("metering feed stopped", e);
            throw e;
        } finally {
            stopped.countDown();
        }
    }

    private void step() {
        for (ConsumerRecord<byte[], byte[]> r : follower.poll(POLL)) {
            dispatch(r);
        }
        checkCaughtUp();
    }

    private void dispatch(ConsumerRecord<byte[], byte[]> r) {
        String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
        OutputTopics topics = settings.topics();
        if (r.topic().equals(topics.stats().name())) {
            if (r.value() != null) {
                view.offerStats(r.value());
            }
        } else if (r.topic().equals(topics.insights().name())) {
            view.offerInsight(key, r.value());
        } else if (r.topic().equals(topics.streams().name())) {
            // history: written before this server first saw the partition (the gen_ai histograms count only what is new)
            view.offerStream(key, r.value(), r.offset() < follower.historyEnd(new TopicPartition(r.topic(), r.partition())));
        }
    }

    /** Caught up once every partition assigned before has reached the end it had when first assigned. */
    private void checkCaughtUp() {
        if (caughtUp) {
            return;
        }
        String stats = settings.topics().stats().name();
        List<TopicPartition> unseen = follower.consumer().assignment().stream().filter(tp -> !registered.contains(tp)).toList();
        try {
            if (!unseen.isEmpty()) {
                catchUpTo.putAll(follower.consumer().endOffsets(unseen, METADATA_TIMEOUT));
                registered.addAll(unseen);
            }
            if (follower.reading(stats)) {
                catchUpTo.entrySet().removeIf(e -> !follower.consumer().assignment().contains(e.getKey())
                        || follower.consumer().position(e.getKey(), METADATA_TIMEOUT) >= e.getValue());
            }
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            return; // the cluster does not answer now: the follower says so, and this is tried again at the next poll
        }
        if (!follower.reading(stats)) {
            notReady = "topic " + stats + " does not exist yet (is the topology running?)";
            return;
        }
        if (catchUpTo.isEmpty()) {
            caughtUp = true;
            log.info("caught up with {}", settings.topics());
        } else {
            notReady = "catching up with " + settings.topics();
        }
    }

    @Override
    public void close() {
        closing = true;
        follower.wakeup();
        stopped.countDown();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        follower.close();
    }
}
