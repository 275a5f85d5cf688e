package dev.llmmeter.contract;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A reader of the topology's output topics: one {@code read_committed} consumer without a group (it reads, it
 * shares no work and commits nothing), {@code assign}ed to every partition of the topics it follows, and an admin
 * client that describes those topics every {@code recheck}. Topic ids tell a recreated topic from the one read
 * before, so it follows what happens to the topics under it, and says so once through {@code notices}:
 * <ul>
 *   <li>a topic that does not exist yet is assigned when it appears, positioned by its {@link Start};</li>
 *   <li>a deleted topic is unassigned (a consumer left on it would warn at each fetch);</li>
 *   <li>a recreated topic (a new id), or one that comes back after its deletion, is read from its beginning: all
 *       of it is new;</li>
 *   <li>partitions added to a topic are read from their beginning; partitions gone are unassigned.</li>
 * </ul>
 * {@code serve}'s feed and {@code tail} both read this way. Not thread-safe, apart from {@link #wakeup()}.
 */
public final class TopicFollower implements AutoCloseable {
    /** Where to start reading a topic the first time it is seen. */
    public static final class Start {
        private enum Kind { END, BEGINNING, LAST_RECORDS, SINCE }

        private final Kind kind;
        private final long amount;

        private Start(Kind kind, long amount) {
            this.kind = kind;
            this.amount = amount;
        }

        /** At the end: only what comes next. */
        public static Start atEnd() {
            return new Start(Kind.END, 0);
        }

        /** At the beginning: all the topic holds (the usage ledger, which serve keeps whole). */
        public static Start atBeginning() {
            return new Start(Kind.BEGINNING, 0);
        }

        /**
         * At the {@code n}-th last record of each partition, counted by reading them: under exactly-once each
         * transaction's commit marker takes an offset too, so {@code n} offsets hold fewer than {@code n} records.
         */
        public static Start lastRecords(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("n must not be negative, got " + n);
            }
            return n == 0 ? atEnd() : new Start(Kind.LAST_RECORDS, n);
        }

        /**
         * At the first record whose timestamp is within {@code ago} of the newest record's in the topic (the writer's
         * clock, not this machine's); at the end when the topic holds none.
         */
        public static Start since(Duration ago) {
            return ago.isZero() ? atEnd() : new Start(Kind.SINCE, ago.toMillis());
        }

        @Override
        public String toString() {
            return switch (kind) {
                case END -> "at the end";
                case BEGINNING -> "from the beginning";
                case LAST_RECORDS -> "the last " + amount + " records";
                case SINCE -> "the last " + Duration.ofMillis(amount).toSeconds() + " s";
            };
        }
    }

    /** What the follower knows of one topic it follows. */
    private static final class Followed {
        final String name;
        final Start start;
        volatile Uuid id;   // null while it is not read (read by other threads through reading())
        int partitions;
        boolean seen;       // read at some time: when it comes back, all of it is new
        boolean missingSaid;

        Followed(String name, Start start) {
            this.name = name;
            this.start = start;
        }
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Admin admin;
    private final Properties consumerSettings;
    private final Map<String, Followed> topics = new LinkedHashMap<>();
    private final Map<TopicPartition, Long> historyEnds = new HashMap<>();
    private final Duration recheck;
    private final Duration timeout;
    private final Consumer<String> notices;
    private final Object idle = new Object();
    private volatile boolean woken;
    private long nextCheck = System.nanoTime();
    private volatile String problem;

    /**
     * @param clientSettings the client settings (bootstrap servers, security, ...); group, offset commits, isolation,
     *                       deserializers and topic auto-creation are set here, other keys are ignored
     * @param clientId       the consumer's client id when the settings give none; the admin client's is it + "-admin"
     * @param topics         the topics to follow, each with where to start it when first seen
     * @param recheck        how often to describe the topics
     * @param timeout        for each request to the cluster
     * @param notices        takes each change, as a sentence, once
     * @throws KafkaException when the settings are invalid
     */
    public TopicFollower(Properties clientSettings, String clientId, Map<String, Start> topics, Duration recheck,
                         Duration timeout, Consumer<String> notices) {
        if (topics.isEmpty()) {
            throw new IllegalArgumentException("no topics to follow");
        }
        Properties c = only(clientSettings, ConsumerConfig.configNames());
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        c.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        Properties a = only(clientSettings, AdminClientConfig.configNames());
        a.put(AdminClientConfig.CLIENT_ID_CONFIG, c.getProperty(ConsumerConfig.CLIENT_ID_CONFIG) + "-admin");
        // Each admin call here carries its own timeout; a consumer's shorter default would be refused by the admin client.
        a.remove(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG);
        this.consumerSettings = c;
        this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            this.admin = Admin.create(a);
        } catch (KafkaException e) {
            consumer.close(CloseOptions.timeout(Duration.ZERO));
            throw e;
        }
        topics.forEach((name, start) -> this.topics.put(name, new Followed(name, start)));
        this.recheck = recheck;
        this.timeout = timeout;
        this.notices = notices;
    }

    private static Properties only(Properties settings, Set<String> names) {
        Properties p = new Properties();
        settings.stringPropertyNames().stream().filter(names::contains).forEach(k -> p.put(k, settings.getProperty(k)));
        return p;
    }

    /**
     * Describes the topics now and follows what changed.
     *
     * @return the partitions assigned by this check (a topic that appeared or came back, new partitions)
     * @throws KafkaException when the topics cannot be described (unreachable cluster, no permission, ...)
     */
    public List<TopicPartition> check() {
        nextCheck = System.nanoTime() + recheck.toNanos();
        Map<String, TopicDescription> found = describe();
        Set<TopicPartition> keep = new LinkedHashSet<>(consumer.assignment());
        List<TopicPartition> fromStart = new ArrayList<>();
        Map<Start, List<TopicPartition>> firstSeen = new LinkedHashMap<>();
        List<String> said = new ArrayList<>();
        List<Runnable> learnt = new ArrayList<>(); // applied once the new positions are known: a failure changes nothing
        for (Followed t : topics.values()) {
            TopicDescription d = found.get(t.name);
            if (d == null || d.partitions().isEmpty()) {
                if (t.id != null) {
                    keep.removeIf(tp -> tp.topic().equals(t.name));
                    said.add("topic " + t.name + " was deleted; reading it again if it comes back (looking every "
                            + recheck.toSeconds() + " s)");
                } else if (!t.missingSaid) {
                    said.add("topic " + t.name + " does not exist yet; looking for it every " + recheck.toSeconds() + " s");
                }
                learnt.add(() -> {
                    t.id = null;
                    t.partitions = 0;
                    t.missingSaid = true;
                });
                continue;
            }
            int n = d.partitions().size();
            if (t.id == null) {
                if (t.seen) {
                    said.add("topic " + t.name + " is back; reading it from the beginning");
                    fromStart.addAll(partitions(t.name, 0, n));
                } else {
                    if (t.missingSaid) {
                        said.add("topic " + t.name + " appeared; reading it");
                    }
                    firstSeen.computeIfAbsent(t.start, s -> new ArrayList<>()).addAll(partitions(t.name, 0, n));
                }
                keep.addAll(partitions(t.name, 0, n));
            } else if (!t.id.equals(d.topicId())) {
                said.add("topic " + t.name + " was recreated; reading it from the beginning");
                keep.removeIf(tp -> tp.topic().equals(t.name));
                keep.addAll(partitions(t.name, 0, n));
                fromStart.addAll(partitions(t.name, 0, n));
            } else if (n > t.partitions) {
                said.add("topic " + t.name + " has " + n + " partitions now (was " + t.partitions
                        + "); reading the new ones from the beginning");
                keep.addAll(partitions(t.name, t.partitions, n));
                fromStart.addAll(partitions(t.name, t.partitions, n));
            } else if (n < t.partitions) {
                said.add("topic " + t.name + " has " + n + " partitions now (was " + t.partitions + ")");
                keep.removeAll(partitions(t.name, n, t.partitions));
            }
            learnt.add(() -> {
                t.id = d.topicId();
                t.partitions = n;
                t.seen = true;
                t.missingSaid = false;
            });
        }
        Map<TopicPartition, Long> starts = new LinkedHashMap<>();
        Map<TopicPartition, Long> ends = new HashMap<>();
        firstSeen.forEach((start, tps) -> starts.putAll(offsets(start, tps, ends)));
        if (problem != null) {
            String at = consumerSettings.getProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG);
            said.add(0, problem.startsWith("cannot reach ") ? "Kafka at " + at + " answers again" : "the topics can be described again at " + at);
            problem = null;
        }
        learnt.forEach(Runnable::run);
        fromStart.forEach(tp -> historyEnds.put(tp, 0L));
        historyEnds.putAll(ends);
        said.forEach(notices);
        if (!keep.equals(consumer.assignment())) {
            consumer.assign(keep);
        }
        if (!fromStart.isEmpty()) {
            consumer.seekToBeginning(fromStart);
        }
        starts.forEach(consumer::seek);
        List<TopicPartition> added = new ArrayList<>(fromStart);
        added.addAll(starts.keySet());
        return added;
    }

    private static List<TopicPartition> partitions(String topic, int from, int to) {
        List<TopicPartition> out = new ArrayList<>();
        for (int p = from; p < to; p++) {
            out.add(new TopicPartition(topic, p));
        }
        return out;
    }

    /** The followed topics that exist; a topic that does not is absent. */
    private Map<String, TopicDescription> describe() {
        Map<String, KafkaFuture<TopicDescription>> futures = admin.describeTopics(topics.keySet(),
                new DescribeTopicsOptions().timeoutMs((int) timeout.toMillis())).topicNameValues();
        Map<String, TopicDescription> found = new HashMap<>();
        for (Map.Entry<String, KafkaFuture<TopicDescription>> f : futures.entrySet()) {
            try {
                found.put(f.getKey(), f.getValue().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS));
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e.getCause() instanceof KafkaException k ? k : new KafkaException(e.getCause());
                }
            } catch (java.util.concurrent.TimeoutException e) {
                throw new org.apache.kafka.common.errors.TimeoutException("no answer within " + timeout.toSeconds() + " s");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WakeupException();
            }
        }
        return found;
    }

    /** Where {@code start} puts these partitions (all of one kind of start). */
    private Map<TopicPartition, Long> offsets(Start start, List<TopicPartition> tps, Map<TopicPartition, Long> endsOut) {
        Map<TopicPartition, Long> ends = consumer.endOffsets(tps, timeout);
        endsOut.putAll(ends);
        return switch (start.kind) {
            case END -> ends;
            case BEGINNING -> consumer.beginningOffsets(tps, timeout);
            case SINCE -> {
                OptionalLong newest = newestTimestamp(tps, ends);
                if (newest.isEmpty()) {
                    yield ends; // nothing there yet
                }
                Map<TopicPartition, Long> times = new HashMap<>();
                long from = newest.getAsLong() - start.amount;
                tps.forEach(tp -> times.put(tp, from));
                Map<TopicPartition, OffsetAndTimestamp> at = consumer.offsetsForTimes(times, timeout);
                Map<TopicPartition, Long> out = new HashMap<>();
                tps.forEach(tp -> out.put(tp, at.get(tp) == null ? ends.get(tp) : at.get(tp).offset()));
                yield out;
            }
            case LAST_RECORDS -> {
                Map<TopicPartition, Long> out = new HashMap<>();
                lastRecords((int) start.amount, tps, ends).forEach((tp, record) -> out.put(tp, record[0]));
                yield out;
            }
        };
    }

    /**
     * The newest timestamp among the last committed records of these partitions, the clock of whoever wrote them: a
     * look-back is measured on it, never on this machine's clock, whose difference from the writer's would shift it.
     * (Kafka's max-timestamp offset lookup would not do: under exactly-once it finds the commit markers, stamped by
     * the broker's clock.) Empty when the partitions hold no record.
     */
    private OptionalLong newestTimestamp(List<TopicPartition> tps, Map<TopicPartition, Long> ends) {
        OptionalLong newest = OptionalLong.empty();
        for (long[] last : lastRecords(1, tps, ends).values()) {
            if (last[1] >= 0 && (newest.isEmpty() || last[1] > newest.getAsLong())) {
                newest = OptionalLong.of(last[1]);
            }
        }
        return newest;
    }

    /**
     * The offset and timestamp of the {@code n}-th last committed record of each partition (its beginning, with
     * timestamp -1, when it holds fewer), found by reading back from the end with a consumer of its own, over a
     * window doubled until it holds them.
     */
    private Map<TopicPartition, long[]> lastRecords(int n, List<TopicPartition> tps, Map<TopicPartition, Long> ends) {
        Map<TopicPartition, Long> begins = consumer.beginningOffsets(tps, timeout);
        Map<TopicPartition, long[]> out = new HashMap<>();
        Properties p = new Properties();
        p.putAll(consumerSettings);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, consumerSettings.getProperty(ConsumerConfig.CLIENT_ID_CONFIG) + "-count");
        try (KafkaConsumer<byte[], byte[]> counter = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            for (TopicPartition tp : tps) {
                long begin = begins.get(tp);
                long end = ends.get(tp);
                long window = n;
                while (true) {
                    long from = Math.max(begin, end - window);
                    List<long[]> records = readBack(counter, tp, from, end);
                    if (records.size() >= n || from == begin) {
                        out.put(tp, records.size() >= n ? records.get(records.size() - n) : new long[] {from, -1});
                        break;
                    }
                    window *= 2;
                }
            }
        }
        return out;
    }

    /** The offset and timestamp of each committed record from {@code from} to {@code end} (control records skipped). */
    private List<long[]> readBack(KafkaConsumer<byte[], byte[]> counter, TopicPartition tp, long from, long end) {
        counter.assign(List.of(tp));
        counter.seek(tp, from);
        List<long[]> records = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (counter.position(tp, timeout) < end) {
            if (woken) {
                throw new WakeupException();
            }
            if (System.nanoTime() - deadline > 0) {
                throw new org.apache.kafka.common.errors.TimeoutException("cannot read " + tp + " within " + timeout.toSeconds() + " s");
            }
            for (ConsumerRecord<byte[], byte[]> r : counter.poll(Duration.ofMillis(200)).records(tp)) {
                if (r.offset() < end) {
                    records.add(new long[] {r.offset(), r.timestamp()});
                }
            }
        }
        return records;
    }

    /**
     * Checks the topics when due (a failure is kept for {@link #problem()} and said once; reading goes on), then
     * polls. With nothing to read, waits until the next check instead.
     *
     * @throws WakeupException after {@link #wakeup()}
     */
    public ConsumerRecords<byte[], byte[]> poll(Duration maxWait) {
        if (System.nanoTime() - nextCheck >= 0) {
            String before = problem;
            try {
                check();
            } catch (WakeupException e) {
                throw e;
            } catch (KafkaException e) {
                String at = consumerSettings.getProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG);
                problem = (e instanceof org.apache.kafka.common.errors.TimeoutException
                        ? "cannot reach Kafka at " + at + " (no answer within " + timeout.toSeconds() + " s)"
                        : "cannot describe " + String.join(", ", topics.keySet()) + " at " + at + ": " + message(e))
                        + "; trying again every " + recheck.toSeconds() + " s";
                if (!problem.equals(before)) {
                    notices.accept(problem);
                }
            }
        }
        if (consumer.assignment().isEmpty()) {
            synchronized (idle) {
                long waitMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextCheck - System.nanoTime()));
                if (!woken) {
                    try {
                        idle.wait(waitMs);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new WakeupException();
                    }
                }
            }
            if (woken) {
                woken = false;
                throw new WakeupException();
            }
            return ConsumerRecords.empty();
        }
        if (woken) {
            woken = false;
            throw new WakeupException();
        }
        return consumer.poll(maxWait);
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return (m == null ? e.getClass().getSimpleName() : m).replace('\n', ' ');
    }

    /**
     * Where this partition's history ends: its records below this offset were written before the follower first saw
     * the partition (its end offset then); 0 for a partition read from its beginning because all of it is new (a
     * recreated topic, added partitions), and for one never assigned.
     */
    public long historyEnd(TopicPartition tp) {
        return historyEnds.getOrDefault(tp, 0L);
    }

    /** Why the last check failed, as a sentence; null when it succeeded (or none was made yet). */
    public String problem() {
        return problem;
    }

    /** Whether the topic is assigned now: it exists and this follower reads it. */
    public boolean reading(String topic) {
        return topics.get(topic).id != null;
    }

    /** For positions and end offsets of the assigned partitions. */
    public KafkaConsumer<byte[], byte[]> consumer() {
        return consumer;
    }

    /** Thread-safe: makes the current or next {@link #poll} throw {@link WakeupException}. */
    public void wakeup() {
        woken = true;
        consumer.wakeup();
        synchronized (idle) {
            idle.notifyAll();
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
}
