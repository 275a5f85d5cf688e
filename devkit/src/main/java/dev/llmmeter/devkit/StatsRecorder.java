package dev.llmmeter.devkit;

import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A downstream consumer of the stats topic, as a dashboard would be (read_committed, from the beginning), that keeps
 * every record with the wall-clock time it arrived: what integration tests assert on and benches measure gaps in.
 */
public class StatsRecorder implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final List<Stats> stats = new ArrayList<>();
    private final List<String> keys = new ArrayList<>();
    private final List<Long> arrivals = new ArrayList<>();
    private final Thread poller;
    /** A record whose timestamp is not its tick: reported by the next read. */
    private volatile String broken;

    public StatsRecorder(String bootstrap, Map<String, Object> client) {
        this(bootstrap, client, Topics.STATS.name());
    }

    public StatsRecorder(String bootstrap, Map<String, Object> client, String topic) {
        Properties p = new Properties();
        p.putAll(client);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        consumer.assign(List.of(new TopicPartition(topic, 0)));
        consumer.seekToBeginning(consumer.assignment());
        poller = new Thread(this::poll, "stats-recorder");
        poller.start();
    }

    private void poll() {
        try {
            while (true) {
                var records = consumer.poll(Duration.ofMillis(200));
                long arrived = System.currentTimeMillis();
                for (ConsumerRecord<String, byte[]> r : records) {
                    Stats s = Topics.STATS.deserializeValue(r.value());
                    synchronized (this) {
                        stats.add(s);
                        keys.add(r.key());
                        arrivals.add(arrived);
                        if (r.timestamp() != s.ts() && broken == null) {
                            broken = "record timestamp " + r.timestamp() + " differs from stats ts " + s.ts();
                        }
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        }
    }

    /** Every record received so far; fails (an AssertionError) if one's record timestamp is not its tick. */
    public synchronized List<Stats> stats() {
        if (broken != null) {
            throw new AssertionError(broken);
        }
        return List.copyOf(stats);
    }

    /** When each record of {@link #stats()} was received, wall-clock epoch ms (same index). */
    public synchronized List<Long> arrivals() {
        return List.copyOf(arrivals);
    }

    public synchronized List<String> keys() {
        return List.copyOf(keys);
    }

    @Override
    public void close() throws InterruptedException {
        consumer.wakeup();
        poller.join(5_000);
        consumer.close();
    }
}
