package dev.llmmeter.app;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;

/**
 * A downstream consumer of the stats topic, the insights topic, or both: no consumer group (it reads, it does not
 * share work), read_committed (the app writes transactionally), starting a little before the end so a view has
 * some history.
 */
public final class StatsTail implements AutoCloseable {
    /** Which of the topology's outputs a record came from. */
    public enum Source {
        STATS, INSIGHTS
    }

    /** Takes each record read; tells whether it showed it (false: a repeat, or not one it shows). */
    @FunctionalInterface
    public interface Sink {
        boolean accept(Source source, byte[] key, byte[] value);
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final String insightsTopic;

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
        Properties p = Settings.only(clientSettings, ConsumerConfig.configNames());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        try {
            this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new StartupException("invalid Kafka consumer settings: " + MeteringApp.rootMessage(e), e);
        }
        this.topic = statsTopic;
        this.insightsTopic = insightsTopic;
    }

    /**
     * Assigns every partition of the topics. The stats are positioned {@code history} records before the end; the
     * insights (many records a tick, one per group) at the first record of the last {@code history} seconds, or at
     * the end when there is none.
     *
     * @throws StartupException when a topic that must exist does not (the stats, or the insights read alone), or
     *                          cannot be described within the timeout
     */
    public void seekToLast(int history, Duration timeout) {
        long now = System.currentTimeMillis();
        List<TopicPartition> stats = topic == null ? List.of() : partitions(topic, timeout, true);
        List<TopicPartition> insights = insightsTopic == null ? List.of() : partitions(insightsTopic, timeout, topic == null);
        List<TopicPartition> all = new java.util.ArrayList<>(stats);
        all.addAll(insights);
        consumer.assign(all);
        Map<TopicPartition, Long> ends = consumer.endOffsets(all, timeout);
        Map<TopicPartition, Long> begins = consumer.beginningOffsets(all, timeout);
        for (TopicPartition tp : stats) {
            consumer.seek(tp, Math.max(begins.get(tp), ends.get(tp) - history));
        }
        if (!insights.isEmpty()) {
            Map<TopicPartition, Long> times = new java.util.HashMap<>();
            insights.forEach(tp -> times.put(tp, now - history * 1000L));
            Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndTimestamp> found = history == 0 ? Map.of()
                    : consumer.offsetsForTimes(times, timeout);
            for (TopicPartition tp : insights) {
                org.apache.kafka.clients.consumer.OffsetAndTimestamp at = found.get(tp);
                consumer.seek(tp, at == null ? ends.get(tp) : at.offset());
            }
        }
    }

    /** The topic's partitions; none when it does not exist and need not. */
    private List<TopicPartition> partitions(String name, Duration timeout, boolean required) {
        List<PartitionInfo> partitions;
        try {
            partitions = consumer.partitionsFor(name, timeout);
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw new StartupException("cannot reach Kafka to read " + name + " within " + timeout.toSeconds() + " s", e);
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new StartupException("cannot read " + name + ": " + MeteringApp.rootMessage(e), e);
        }
        if (partitions == null || partitions.isEmpty()) {
            if (!required) {
                return List.of();
            }
            throw new StartupException("topic " + name + " does not exist (is the topology running?)", null);
        }
        return partitions.stream().map(p -> new TopicPartition(name, p.partition())).toList();
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
        long seen = 0;
        try {
            while (max == 0 || seen < max) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
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

    /** Thread-safe: makes {@link #run} return. */
    public void wakeup() {
        consumer.wakeup();
    }

    @Override
    public void close() {
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
    }
}
