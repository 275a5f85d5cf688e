package dev.llmmeter.app.it;

import dev.llmmeter.devkit.TopologyProcess;
import dev.llmmeter.devkit.ConstantRateStreams;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.DeltaEventCodec;
import dev.llmmeter.contract.EventType;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.topology.state.Session;
import dev.llmmeter.topology.state.SessionSerde;
import dev.llmmeter.topology.state.SessionsStore;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The write-behind {@code sessions} store on a real broker: `metering topology` as a child process is killed with
 * SIGKILL after it has processed deltas and before the commit that would cover them, and what Kafka then holds is
 * checked: the {@code <app-id>-sessions-changelog} topic (read_committed) against the group's committed offsets on
 * the input topic. Every event before a committed offset must be reflected in the changelog's last value of its
 * stream (the changelog may be ahead of the offsets, never behind): otherwise a restart would resume after events
 * whose effect it had lost. Then the app is started again on the same state directory and the stats must be right.
 */
class SessionsCrashConsistencyIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    static final int PARTITIONS = 2;
    /** At-least-once: long enough for phase B to be sent and processed between two commits on a loaded machine. */
    static final long ALOS_COMMIT_INTERVAL_MS = 30_000;

    /**
     * At-least-once with a 30 s commit interval: phase A is sent and committed; right after that commit, phase B
     * (more deltas, an end, new streams) is sent and processed (the stats show it), then the app is killed, long
     * before the next commit. The committed offsets must still be phase A's, and the changelog must hold phase A's
     * sessions; the restarted app reprocesses phase B and the stats come out as before the kill.
     */
    @Test
    void atLeastOnceKilledBetweenDeltasAndTheNextCommit(@TempDir Path work) throws Exception {
        String app = "crash-alos";
        String deltas = "alos.deltas";
        String statsTopic = "alos.stats";
        kafka.createTopic(deltas, PARTITIONS);
        Path config = config(work, app, deltas, statsTopic,
                "processing.guarantee=at_least_once\ncommit.interval.ms=" + ALOS_COMMIT_INTERVAL_MS + "\n");
        Path state = work.resolve("state");
        Process child = TopologyProcess.start(kafka.bootstrapServers(), app, state, config, work.resolve("run-1.log"));
        try (Admin admin = Admin.create(kafka.clientConfig());
             KafkaProducer<String, byte[]> producer = producer();
             StatsCollector collector = new StatsCollector(kafka.bootstrapServers(), kafka.clientConfig(), statsTopic)) {
            long t0 = System.currentTimeMillis() / 1000 * 1000;
            // Phase A: a-0..a-7 begin and get five deltas each (a-1 reasoning too); a-6 and a-7 end. 6 live.
            List<DeltaEvent> phaseA = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                phaseA.add(DeltaEvent.begin("a-" + i, t0));
            }
            for (int k = 1; k <= 5; k++) {
                for (int i = 0; i < 8; i++) {
                    phaseA.add(DeltaEvent.output("a-" + i, t0 + 200L * k, (long) k * (i + 1)));
                }
            }
            phaseA.add(DeltaEvent.reasoning("a-1", t0 + 1000, 7));
            phaseA.add(DeltaEvent.end("a-6", t0 + 1200, 35, 0));
            phaseA.add(DeltaEvent.end("a-7", t0 + 1200, 40, 0));
            send(producer, deltas, phaseA);
            Map<TopicPartition, Long> endOfA = endOffsets(admin, deltas);
            await("a commit covering phase A " + endOfA).atMost(Duration.ofSeconds(ALOS_COMMIT_INTERVAL_MS / 1000 * 3))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> committed(admin, app, deltas).equals(endOfA));
            long committedAt = System.currentTimeMillis();

            // Phase B, right after that commit: a-0..a-4 get five more deltas, a-5 ends, b-0 and b-1 begin and get
            // four deltas each. 7 live.
            List<DeltaEvent> phaseB = new ArrayList<>();
            for (int k = 6; k <= 10; k++) {
                for (int i = 0; i < 5; i++) {
                    phaseB.add(DeltaEvent.output("a-" + i, t0 + 200L * k, (long) k * (i + 1)));
                }
            }
            phaseB.add(DeltaEvent.end("a-5", t0 + 2100, 30, 0));
            for (int j = 0; j < 2; j++) {
                phaseB.add(DeltaEvent.begin("b-" + j, t0 + 2000));
            }
            for (int k = 1; k <= 4; k++) {
                for (int j = 0; j < 2; j++) {
                    phaseB.add(DeltaEvent.output("b-" + j, t0 + 2000 + 250L * k, 3L * k * (j + 1)));
                }
            }
            send(producer, deltas, phaseB);
            // The streams' rates after phase B: a-i 10(i+1) tokens over 1.8 s (a-1 plus 7 reasoning), b-j 12(j+1) over 0.75 s.
            List<Double> rates = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                rates.add((10.0 * (i + 1) + (i == 1 ? 7 : 0)) / 1.8);
            }
            for (int j = 0; j < 2; j++) {
                rates.add(12.0 * (j + 1) / 0.75);
            }
            double tpsAfterB = rates.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            Stats processed = collector.await(s -> s.ts() > committedAt && s.active() == 7 && near(s, tpsAfterB),
                    Duration.ofSeconds(20), "with phase B processed (7 live, tps " + tpsAfterB + ")");

            child.destroyForcibly().waitFor(); // SIGKILL: phase B processed, not committed
            Map<TopicPartition, Long> committed = committed(admin, app, deltas);
            assertEquals(endOfA, committed, "the kill was meant to land after phase B was processed (" + processed
                    + ") and before the next commit (" + ALOS_COMMIT_INTERVAL_MS + " ms after " + TopologyProcess.time(committedAt)
                    + "); killed at " + TopologyProcess.time(System.currentTimeMillis()));
            Map<TopicPartition, Long> endOfB = endOffsets(admin, deltas);
            assertTrue(endOfB.entrySet().stream().allMatch(e -> e.getValue() > endOfA.get(e.getKey())),
                    "phase B's deltas are beyond the committed offsets in every partition: " + endOfB + " vs " + endOfA);
            Check check = checkChangelogAgainstOffsets(app, deltas, committed, false);
            assertEquals(6, check.live, "phase A's 6 live sessions, as of the committed offsets: " + check);

            child = TopologyProcess.start(kafka.bootstrapServers(), app, state, config, work.resolve("run-2.log"));
            long restarted = System.currentTimeMillis();
            Stats after = collector.await(s -> s.ts() > restarted && s.active() == 7 && near(s, tpsAfterB),
                    Duration.ofSeconds(90), "after the restart, with phase B reprocessed (7 live, tps " + tpsAfterB + ")");
            Stats later = collector.await(s -> s.ts() >= after.ts() + 2000, Duration.ofSeconds(30), "2 s later");
            assertEquals(7, later.active(), later.toString());
            assertTrue(near(later, tpsAfterB), later + " vs " + tpsAfterB);
        } finally {
            child.destroyForcibly().waitFor();
            TopologyProcess.keepLogs(work, "sessions-crash-alos");
        }
    }

    /**
     * Exactly-once (the default; commits once a second): killed under a steady load, i.e. with deltas processed since
     * the last commit's transaction. Offsets and changelog commit in one transaction, so the changelog must match
     * the committed offsets exactly; the restarted app goes on metering the streams at their rates.
     */
    @Test
    void exactlyOnceKilledUnderLoad(@TempDir Path work) throws Exception {
        String app = "crash-eos";
        String deltas = "eos.deltas";
        String statsTopic = "eos.stats";
        kafka.createTopic(deltas, PARTITIONS);
        Path config = config(work, app, deltas, statsTopic, "");
        Path state = work.resolve("state");
        Process child = TopologyProcess.start(kafka.bootstrapServers(), app, state, config, work.resolve("run-1.log"));
        Properties client = new Properties();
        client.putAll(kafka.clientConfig());
        try (Admin admin = Admin.create(kafka.clientConfig());
             StatsCollector collector = new StatsCollector(kafka.bootstrapServers(), kafka.clientConfig(), statsTopic);
             ConstantRateStreams load = new ConstantRateStreams(kafka.bootstrapServers(), client, deltas, "eos", 10, 20, 25, 40, 50, 20, 30, 40)) {
            Stats metered = collector.await(s -> s.active() == 8 && s.ts() >= load.start() + 4_000, Duration.ofSeconds(90),
                    "with all 8 streams, 4 s into the load");
            collector.await(s -> s.ts() >= metered.ts() + 2_000, Duration.ofSeconds(30), "2 s later");
            child.destroyForcibly().waitFor(); // SIGKILL mid-load: deltas processed since the last commit are lost with it
            long killedAt = System.currentTimeMillis();

            Map<TopicPartition, Long> committed = committed(admin, app, deltas);
            assertFalse(committed.isEmpty(), "offsets committed before the kill");
            await("deltas sent after the committed offsets").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> endOffsets(admin, deltas).entrySet().stream().anyMatch(e -> e.getValue() > committed.get(e.getKey())));
            Check check = checkChangelogAgainstOffsets(app, deltas, committed, true);
            assertEquals(8, check.live, check.toString());

            child = TopologyProcess.start(kafka.bootstrapServers(), app, state, config, work.resolve("run-2.log"));
            Stats after = collector.await(s -> s.ts() > killedAt + 1000 && s.active() == 8, Duration.ofSeconds(90), "after the restart");
            collector.await(s -> s.ts() >= after.ts() + 3_000, Duration.ofSeconds(30), "3 s after resuming");
            for (Stats s : collector.stats().stream().filter(s -> s.ts() >= after.ts()).toList()) {
                assertEquals(8, s.active(), "sessions came back: " + s);
                assertTrue(Math.abs(s.tps() - load.meanTpsAt(s.ts())) <= 1.0, "rates continue: " + s + " vs " + load.meanTpsAt(s.ts()));
            }
        } finally {
            child.destroyForcibly().waitFor();
            TopologyProcess.keepLogs(work, "sessions-crash-eos");
        }
    }

    private static boolean near(Stats s, double tps) {
        return s.tps() != null && Math.abs(s.tps() - tps) <= 0.051;
    }

    // ---- the check

    /** A stream's session as the meter's rules make it (begin, deltas in order, end), from the input events alone. */
    private record Expected(long beginTs, long output, long reasoning, long firstDeltaTs, long lastDeltaTs) {
        boolean hasDelta() {
            return firstDeltaTs != Long.MIN_VALUE;
        }

        static Expected of(Session s) {
            return new Expected(s.beginTs(), s.outputTokens(), s.reasoningTokens(),
                    s.hasDelta() ? s.firstDeltaTs() : Long.MIN_VALUE, s.hasDelta() ? s.lastDeltaTs() : Long.MIN_VALUE);
        }
    }

    /** What the check found: live sessions as of the offsets; keys whose changelog value was exactly that, or ahead. */
    private record Check(int live, int exact, int ahead, Map<TopicPartition, Long> committed) {
    }

    /**
     * Replays the input events before the committed offsets with the meter's session rules (no pruning happens in
     * these tests: every session has deltas within the stale window) and compares each stream's result with the last
     * value of its key in the changelog (read_committed). The changelog may be ahead (a later begin, higher counts, a
     * later delta), never behind; with {@code exact} it must be equal.
     */
    private static Check checkChangelogAgainstOffsets(String app, String deltas, Map<TopicPartition, Long> committed,
                                                      boolean exact) {
        Map<String, Expected> live = new LinkedHashMap<>();
        Map<String, Long> endedBegin = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : readAll(deltas, "read_uncommitted")) {
            if (r.offset() >= committed.getOrDefault(new TopicPartition(r.topic(), r.partition()), 0L)) {
                continue;
            }
            DeltaEvent e = DeltaEventCodec.decode(r.value());
            String id = e.streamId();
            Expected cur = live.get(id);
            if (e.type() == EventType.BEGIN) {
                if (cur == null || e.ts() > cur.beginTs()) {
                    live.put(id, new Expected(e.ts(), 0, 0, Long.MIN_VALUE, Long.MIN_VALUE));
                }
            } else if (e.type() == EventType.END) {
                if (cur != null) {
                    live.remove(id);
                    endedBegin.put(id, cur.beginTs());
                }
            } else if (cur != null) {
                boolean output = e.type() == EventType.OUTPUT;
                long count = output ? cur.output() : cur.reasoning();
                if (e.running() >= count && (!cur.hasDelta() || e.ts() >= cur.lastDeltaTs())) {
                    live.put(id, new Expected(cur.beginTs(), output ? e.running() : cur.output(),
                            output ? cur.reasoning() : e.running(), cur.hasDelta() ? cur.firstDeltaTs() : e.ts(), e.ts()));
                }
            }
        }
        Map<String, Expected> changelog = new HashMap<>();
        SessionSerde serde = new SessionSerde();
        for (ConsumerRecord<String, byte[]> r : readAll(app + "-sessions-changelog", "read_committed")) {
            SessionsStore.Entry e = serde.deserialize(r.topic(), r.value());
            if (e == null) {
                changelog.remove(r.key());
            } else {
                changelog.put(r.key(), Expected.of(e.session()));
            }
        }
        int same = 0;
        int ahead = 0;
        TreeSet<String> keys = new TreeSet<>(live.keySet());
        keys.addAll(changelog.keySet());
        keys.addAll(endedBegin.keySet());
        for (String id : keys) {
            Expected e = live.get(id);
            Expected c = changelog.get(id);
            String what = id + ": the events before the committed offsets " + committed + " give " + e
                    + (e == null && endedBegin.containsKey(id) ? " (ended)" : "") + "; the changelog has " + c;
            if (exact) {
                assertEquals(e, c, "exactly-once: " + what);
            }
            if (e != null) {
                assertNotNull(c, "a live session missing from the changelog: " + what);
                boolean notBehind = c.beginTs() > e.beginTs() || (c.beginTs() == e.beginTs() && c.output() >= e.output()
                        && c.reasoning() >= e.reasoning() && (!e.hasDelta() || c.lastDeltaTs() >= e.lastDeltaTs()));
                if (!notBehind) {
                    fail("the changelog is behind the committed offsets: " + what);
                }
            } else if (c != null && endedBegin.containsKey(id) && c.beginTs() <= endedBegin.get(id)) {
                fail("an ended session is still in the changelog: " + what);
            }
            if (e != null && e.equals(c) || e == null && c == null) {
                same++;
            } else {
                ahead++;
            }
        }
        return new Check(live.size(), same, ahead, committed);
    }

    // ---- Kafka

    private static Path config(Path work, String app, String deltas, String stats, String extra) throws Exception {
        Path config = work.resolve("app.properties");
        Files.writeString(config, "group.instance.id=" + app + "-1\nsession.timeout.ms=15000\n"
                + "metering.topic.deltas=" + deltas + "\nmetering.topic.stats=" + stats + "\n"
                + "metering.topic.deltas.partitions=" + PARTITIONS + "\n" + extra);
        return config;
    }

    private KafkaProducer<String, byte[]> producer() {
        Properties p = new Properties();
        p.putAll(kafka.clientConfig());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    private static void send(KafkaProducer<String, byte[]> producer, String topic, List<DeltaEvent> events) throws Exception {
        for (DeltaEvent e : events) {
            producer.send(new ProducerRecord<>(topic, null, e.ts(), e.streamId(), DeltaEventCodec.encode(e)));
        }
        producer.flush();
    }

    private static Map<TopicPartition, Long> endOffsets(Admin admin, String topic) throws Exception {
        Map<TopicPartition, OffsetSpec> specs = IntStream.range(0, PARTITIONS).boxed()
                .collect(Collectors.toMap(p -> new TopicPartition(topic, p), p -> OffsetSpec.latest()));
        return admin.listOffsets(specs).all().get(30, TimeUnit.SECONDS).entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    }

    /** The application's committed offsets on {@code topic} (its consumer group is the application id). */
    private static Map<TopicPartition, Long> committed(Admin admin, String group, String topic) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> all = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        Map<TopicPartition, Long> offsets = new HashMap<>();
        all.forEach((tp, om) -> {
            if (tp.topic().equals(topic) && om != null) {
                offsets.put(tp, om.offset());
            }
        });
        return offsets;
    }

    /** Every record of {@code topic}, from the beginning to its end (for read_committed: its last stable offset). */
    private static List<ConsumerRecord<String, byte[]>> readAll(String topic, String isolation) {
        Properties p = new Properties();
        p.putAll(kafka.clientConfig());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            await("all of " + topic + " up to " + end).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ZERO)
                    .until(() -> {
                        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                        return partitions.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
                    });
        }
        return records;
    }
}
