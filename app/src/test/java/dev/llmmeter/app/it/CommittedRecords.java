package dev.llmmeter.app.it;

import dev.llmmeter.contract.StreamStatus;
import dev.llmmeter.contract.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;

/** A topic as a downstream reader of committed output sees it: read_committed, from the beginning to its end. */
final class CommittedRecords {
    private CommittedRecords() {
    }

    /** Every committed record of the topic, from the beginning to its last stable offset (waiting at most {@code bound}). */
    static List<ConsumerRecord<byte[], byte[]>> read(Map<String, Object> client, String topic, Duration bound) {
        Properties p = new Properties();
        p.putAll(client);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            await("reading " + topic + " to " + end).atMost(bound).pollInterval(Duration.ZERO)
                    .until(() -> {
                        c.poll(Duration.ofMillis(200)).forEach(out::add);
                        return parts.stream().allMatch(tp -> c.position(tp) >= end.get(tp));
                    });
        }
        return out;
    }

    /**
     * The final (not active) records on a streams topic of the streams {@code ids} picks: stream id -> its state's wire
     * name, "a then b" for a stream with two; tombstones skipped.
     */
    static Map<String, String> finals(Map<String, Object> client, String topic, Predicate<String> ids, Duration bound) {
        Map<String, String> finals = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : read(client, topic, bound)) {
            if (r.value() == null) {
                continue; // the tombstone after a final record
            }
            StreamStatus st = Topics.STREAMS.deserializeValue(r.value());
            if (st.state() != StreamStatus.State.ACTIVE && ids.test(st.streamId())) {
                finals.merge(st.streamId(), st.state().wireName(), (a, b) -> a + " then " + b);
            }
        }
        return finals;
    }
}
