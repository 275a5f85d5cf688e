package dev.llmmeter.serve.usage;

import dev.llmmeter.contract.TopicFollower;
import dev.llmmeter.contract.UsageCodec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Feeds a {@link UsageLedgerView} from the usage ledger topic, read whole from its beginning through a
 * {@link TopicFollower} ({@code read_committed}, no consumer group, a topic that appears later or is recreated is
 * followed). {@link #notReadyReason()} is null once every partition has been read, once, up to the end it had when
 * first assigned: until then {@code /api/usage} answers 503 rather than partial sums. A record that is not a ledger
 * record is counted ({@link #invalidRecords()}) and skipped.
 */
public final class UsageFeed implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(UsageFeed.class);
    private static final Duration RECHECK = Duration.ofSeconds(5);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final String topic;
    private final UsageLedgerView view;
    private final TopicFollower follower;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Map<TopicPartition, Long> catchUpTo = new HashMap<>();
    private final Set<TopicPartition> registered = new HashSet<>();
    private final AtomicLong invalid = new AtomicLong();
    private volatile boolean caughtUp;
    private volatile String failing;
    private volatile boolean closing;

    /** @throws KafkaException when the client settings are invalid */
    public UsageFeed(Properties clientSettings, String topic, UsageLedgerView view) {
        this.topic = topic;
        this.view = view;
        this.follower = new TopicFollower(clientSettings, "metering-serve-usage",
                Map.of(topic, TopicFollower.Start.atBeginning()), RECHECK, TIMEOUT, log::info);
        this.thread = new Thread(this::run, "metering-serve-usage");
        this.thread.setDaemon(true);
    }

    public UsageFeed start() {
        thread.start();
        return this;
    }

    /** Why {@code /api/usage} cannot answer yet; null once the ledger was read up to its end. */
    public String notReadyReason() {
        if (caughtUp) {
            return null;
        }
        String f = failing != null ? failing : follower.problem();
        if (f != null) {
            return "usage ledger feed failing: " + f;
        }
        return follower.reading(topic) ? "reading the usage ledger " + topic + " up to its end"
                : "topic " + topic + " does not exist yet (is the ledger running?)";
    }

    public long invalidRecords() {
        return invalid.get();
    }

    private void run() {
        try {
            while (!closing) {
                try {
                    for (ConsumerRecord<byte[], byte[]> r : follower.poll(POLL)) {
                        offer(r.value());
                    }
                    checkCaughtUp();
                    failing = null;
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    String reason = e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace('\n', ' ');
                    if (!reason.equals(failing)) {
                        log.error("usage ledger feed failed (trying again every {} s): {}", RECHECK.toSeconds(), reason);
                    }
                    failing = reason;
                    if (stopped.await(RECHECK.toMillis(), TimeUnit.MILLISECONDS)) {
                        return;
                    }
                }
            }
        } catch (WakeupException e) {
            // close() asked us to stop
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stopped.countDown();
        }
    }

    /** Takes one record's bytes; a tombstone or a record that is no ledger record is counted and skipped. */
    void offer(byte[] value) {
        try {
            if (value == null) {
                throw new IllegalArgumentException("a tombstone");
            }
            view.offer(UsageCodec.decode(value));
        } catch (IllegalArgumentException e) {
            if (invalid.incrementAndGet() == 1) {
                log.warn("skipping a record of {} that is not a usage record ({}); counted in llm_metering_serve_invalid_usage_records",
                        topic, e.getMessage());
            }
        }
    }

    private void checkCaughtUp() {
        if (caughtUp || !follower.reading(topic)) {
            return;
        }
        List<TopicPartition> unseen = follower.consumer().assignment().stream().filter(tp -> !registered.contains(tp)).toList();
        if (!unseen.isEmpty()) {
            catchUpTo.putAll(follower.consumer().endOffsets(unseen, TIMEOUT));
            registered.addAll(unseen);
        }
        catchUpTo.entrySet().removeIf(e -> !follower.consumer().assignment().contains(e.getKey())
                || follower.consumer().position(e.getKey(), TIMEOUT) >= e.getValue());
        if (catchUpTo.isEmpty()) {
            caughtUp = true;
            log.info("read the usage ledger {} up to its end: {}", topic, view);
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
