package dev.llmmeter.app.it;

import dev.llmmeter.contract.Topics;
import dev.llmmeter.contract.Usage;
import dev.llmmeter.contract.UsageCodec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A billing system's reader of the usage ledger: read_committed, from the beginning, every partition (it subscribes,
 * so it finds the topic whenever the app creates it). It keeps every record and every id whose record came twice
 * with different bytes: a sink that de-duplicates by id would silently keep one of them.
 */
public final class UsageCollector implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread poller;
    private final Map<String, byte[]> byId = new HashMap<>();
    /** Partition and offset of every record read: the group has no committed offsets, so a rebalance reads again. */
    private final java.util.Set<String> read = new java.util.HashSet<>();
    private final List<Usage> records = new ArrayList<>();
    private final List<String> conflicts = new ArrayList<>();
    private int repeats;
    private volatile RuntimeException failure;

    public UsageCollector(String bootstrap, Map<String, Object> client) {
        Properties p = new Properties();
        p.putAll(client);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "usage-reconciliation");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, "1000"); // find the topic soon after the app creates it
        consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(Topics.USAGE.name()));
        poller = new Thread(this::poll, "usage-collector");
        poller.start();
    }

    private void poll() {
        try {
            while (true) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    Usage u = UsageCodec.decode(r.value());
                    synchronized (this) {
                        if (!read.add(r.partition() + "@" + r.offset())) {
                            continue; // this reader's own second read of the record, not a second publication
                        }
                        byte[] before = byId.putIfAbsent(u.id(), r.value());
                        if (before == null) {
                            records.add(u);
                        } else if (Arrays.equals(before, r.value())) {
                            repeats++; // the same record again: harmless to a sink that de-duplicates by id
                        } else {
                            conflicts.add(u.id() + ": " + new String(before) + " then " + new String(r.value()));
                        }
                        if (!u.id().equals(r.key())) {
                            conflicts.add("key " + r.key() + " is not the record's id " + u.id());
                        }
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            consumer.close();
        }
    }

    /** Every distinct record so far (by id; a repeat with the same bytes counted once). */
    public synchronized List<Usage> records() {
        check();
        return List.copyOf(records);
    }

    /** Ids published twice with different content, and records keyed other than by their id. */
    public synchronized List<String> conflicts() {
        check();
        return List.copyOf(conflicts);
    }

    /** Records published again with the same bytes (at another offset). */
    public synchronized int repeats() {
        return repeats;
    }

    private void check() {
        if (failure != null) {
            throw new AssertionError("reading " + Topics.USAGE.name() + " failed", failure);
        }
    }

    @Override
    public void close() throws InterruptedException {
        consumer.wakeup();
        poller.join(10_000);
    }
}
