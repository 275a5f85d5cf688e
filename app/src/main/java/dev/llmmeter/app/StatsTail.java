package dev.llmmeter.app;

import dev.llmmeter.contract.TopicFollower;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A downstream consumer of the stats topic, the insights topic, or both, through a {@link TopicFollower}: no consumer
 * group (it reads, it does not share work), read_committed (the app writes transactionally), starting a little
 * before the end so a view has some history, and following the topics when they are deleted, recreated or given
 * more partitions (each change said once).
 */
public final class StatsTail implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StatsTail.class);
    /** How often the topics are described for changes. */
    static final Duration RECHECK = Duration.ofSeconds(5);

    /** Which of the topology's outputs a record came from. */
    public enum Source {
        STATS, INSIGHTS
    }

    /** Takes each record read; tells whether it showed it (false: a repeat, or not one it shows). */
    @FunctionalInterface
    public interface Sink {
        boolean accept(Source source, byte[] key, byte[] value);
    }

    private final Properties clientSettings;
    private final String topic;
    private final String insightsTopic;
    private Consumer<String> notices = log::warn;
    private volatile TopicFollower follower;
    private volatile boolean woken;

    /** A tail of the stats topic alone. */
    public StatsTail(Properties clientSettings, String topic) {
        this(clientSettings, topic, null);
    }

    /**
     * @param statsTopic    the stats topic, or null to read the insights alone
     * @param insightsTopic the insights topic, or null to read the stats alone; read beside the stats only when it
     *                      exists (a cluster whose topology predates it shows the stats all the same)
     */
    public StatsTail(Properties clientSettings, String statsTopic, String insightsTopic) {
        if (statsTopic == null && insightsTopic == null) {
            throw new IllegalArgumentException("a tail reads the stats topic, the insights topic or both");
        }
        this.clientSettings = clientSettings;
        this.topic = statsTopic;
        this.insightsTopic = insightsTopic;
    }

    /** Where the changes to the topics are said, one sentence each (default: the log, at WARN). */
    public StatsTail notices(Consumer<String> notices) {
        this.notices = notices;
        return this;
    }

    /**
     * Assigns every partition of the topics. The stats are positioned at the {@code history}-th last record; the
     * insights (many records a tick, one per group) at the first record of the last {@code history} seconds, or at
     * the end when there is none.
     *
     * @throws StartupException when a topic that must exist does not (the stats, or the insights read alone), or
     *                          cannot be described within the timeout
     * @throws WakeupException  after {@link #wakeup()}
     */
    public void seekToLast(int history, Duration timeout) {
        Map<String, TopicFollower.Start> topics = new LinkedHashMap<>();
        if (topic != null) {
            topics.put(topic, TopicFollower.Start.lastRecords(history));
        }
        if (insightsTopic != null) {
            topics.put(insightsTopic, TopicFollower.Start.since(Duration.ofSeconds(history)));
        }
        TopicFollower f;
        try {
            f = new TopicFollower(clientSettings, "metering-tail", topics, RECHECK, timeout, s -> notices.accept(s));
        } catch (KafkaException e) {
            throw new StartupException("invalid Kafka consumer settings: " + MeteringApp.rootMessage(e), e);
        }
        follower = f;
        if (woken) {
            f.wakeup();
        }
        String required = topic != null ? topic : insightsTopic;
        try {
            f.check();
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw new StartupException("cannot reach Kafka to read " + required + " within " + timeout.toSeconds() + " s", e);
        } catch (WakeupException e) {
            throw e;
        } catch (KafkaException e) {
            throw new StartupException("cannot read " + required + ": " + MeteringApp.rootMessage(e), e);
        }
        if (!f.reading(required)) {
            throw new StartupException("topic " + required + " does not exist (is the topology running?)", null);
        }
    }

    /**
     * Polls until {@link #wakeup()} or {@code max} records shown (0: no limit), handing each value to
     * {@code sink}, which tells whether it showed it (false: a repeat it skipped).
     */
    public long run(Predicate<byte[]> sink, long max) {
        return run((source, key, value) -> sink.test(value), max);
    }

    /**
     * Polls until {@link #wakeup()} or {@code max} records shown (0: no limit), handing each record to
     * {@code sink} with the output it came from.
     */
    public long run(Sink sink, long max) {
        if (follower == null) {
            throw new IllegalStateException("seekToLast first");
        }
        long seen = 0;
        try {
            while (max == 0 || seen < max) {
                for (ConsumerRecord<byte[], byte[]> r : follower.poll(Duration.ofMillis(500))) {
                    Source source = r.topic().equals(topic) ? Source.STATS : Source.INSIGHTS;
                    if (sink.accept(source, r.key(), r.value()) && ++seen == max) {
                        break;
                    }
                }
            }
        } catch (WakeupException e) {
            // asked to stop
        }
        return seen;
    }

    /** Thread-safe: makes {@link #run} (or {@link #seekToLast}) return. */
    public void wakeup() {
        woken = true;
        TopicFollower f = follower;
        if (f != null) {
            f.wakeup();
        }
    }

    @Override
    public void close() {
        TopicFollower f = follower;
        if (f != null) {
            f.close();
        }
    }
}
