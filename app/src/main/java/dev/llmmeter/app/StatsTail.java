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
 * A downstream consumer of the stats topic: no consumer group (it reads, it does not share work),
 * read_committed (the app writes transactionally), starting a little before the end so a view has
 * some history.
 */
public final class StatsTail implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;

    public StatsTail(Properties clientSettings, String topic) {
        Properties p = Settings.only(clientSettings, ConsumerConfig.configNames());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        try {
            this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new StartupException("invalid Kafka consumer settings: " + MeteringApp.rootMessage(e), e);
        }
        this.topic = topic;
    }

    /**
     * Assigns every partition of the topic, positioned {@code history} records before the end.
     *
     * @throws StartupException when the topic does not exist or cannot be described within the timeout
     */
    public void seekToLast(int history, Duration timeout) {
        List<PartitionInfo> partitions;
        try {
            partitions = consumer.partitionsFor(topic, timeout);
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw new StartupException("cannot reach Kafka to read " + topic + " within " + timeout.toSeconds() + " s", e);
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new StartupException("cannot read " + topic + ": " + MeteringApp.rootMessage(e), e);
        }
        if (partitions == null || partitions.isEmpty()) {
            throw new StartupException("topic " + topic + " does not exist (is the topology running?)", null);
        }
        List<TopicPartition> tps = partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(tps);
        Map<TopicPartition, Long> ends = consumer.endOffsets(tps, timeout);
        Map<TopicPartition, Long> begins = consumer.beginningOffsets(tps, timeout);
        for (TopicPartition tp : tps) {
            consumer.seek(tp, Math.max(begins.get(tp), ends.get(tp) - history));
        }
    }

    /**
     * Polls until {@link #wakeup()} or {@code max} records shown (0: no limit), handing each value to
     * {@code sink}, which tells whether it showed it (false: a repeat it skipped).
     */
    public long run(Predicate<byte[]> sink, long max) {
        long seen = 0;
        try {
            while (max == 0 || seen < max) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (sink.test(r.value()) && ++seen == max) {
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
