package dev.llmmeter.app.it;

import dev.llmmeter.app.MeteringApp;
import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.DeltaEventCodec;
import dev.llmmeter.contract.Insight;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.topology.PythonRound;
import dev.llmmeter.topology.insights.LatencySketch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.ThreadMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Two instances of one application share a four-partition deltas topic, each running two of the session tasks;
 * the insights are still global: at a tick after every event is applied, each group's record (global, model:NAME,
 * tenant:NAME) has every one of the group's streams, whatever instance metered them, and its TTFT and inter-delta
 * percentiles are those of all of the group's values (the sketch of every value, as one task would have it), not
 * one instance's share.
 *
 * <p>The events are hand-written, dated in the recent past and sent at once: TTFT, gaps and per-stream rates are
 * event time, so the figures are exact whatever the machine's load. Nothing waits a fixed time: the test waits for
 * the content (a tick whose global record has every stream begun and fed), and the windowed figures hold for the
 * minute after.
 */
class InsightsScaleOutIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    static final int STREAMS = 24;
    static final String[] MODELS = {"m-small", "m-mid", "m-large"};
    static final String[] TENANTS = {"acme", "globex"};

    /** One stream's events and its exact figures. */
    record Stream(String id, String model, String tenant, long ttftMs, long[] gapsMs, double tps, List<DeltaEvent> events) {
        /**
         * Stream i: begins at base + 10 i, first delta 100 + 37 i ms later (10 tokens), then one after 200 + 20 i ms
         * (20) and the last 1000 ms after the first (30 + i): its rate is (30 + i) tokens over 1 s.
         */
        static Stream of(int i, long base) {
            String id = "ins-" + i;
            String model = MODELS[i % MODELS.length];
            String tenant = TENANTS[(i / 3) % TENANTS.length];
            long begin = base + 10L * i;
            long ttft = 100 + 37L * i;
            long first = begin + ttft;
            long gap = 200 + 20L * i;
            List<DeltaEvent> events = List.of(
                    DeltaEvent.begin(id, begin, model, tenant),
                    DeltaEvent.output(id, first, 10),
                    DeltaEvent.output(id, first + gap, 20),
                    DeltaEvent.output(id, first + 1000, 30 + i));
            return new Stream(id, model, tenant, ttft, new long[] {gap, 1000 - gap}, 30 + i, events);
        }
    }

    @Test
    void twoInstancesPublishTheSameGlobalAndBreakdownFiguresAsAllTheEventsTogether(@TempDir Path stateA, @TempDir Path stateB) {
        String id = "insights-scale-out";
        long base = System.currentTimeMillis() - 20_000;
        List<Stream> streams = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            streams.add(Stream.of(i, base));
        }
        assertEquals(Set.of(0, 1, 2, 3), streams.stream().map(s -> partition(s.id())).collect(Collectors.toSet()),
                "the streams cover the four partitions");
        Map<String, String> expected = expected(streams);

        try (MeteringApp a = LiveApps.startRunning(LiveApps.settings(kafka.bootstrapServers(), kafka.clientConfig(), id, stateA, 4));
             MeteringApp b = LiveApps.startRunning(LiveApps.settings(kafka.bootstrapServers(), kafka.clientConfig(), id, stateB, 4))) {
            await("the 4 session tasks spread over both instances").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                    .until(() -> sessionTasks(a) > 0 && sessionTasks(b) > 0 && sessionTasks(a) + sessionTasks(b) == 4);
            send(streams);

            AtomicReference<Map<String, String>> tick = new AtomicReference<>();
            try (InsightsReader reader = new InsightsReader()) {
                // The first tick with every stream begun and fed; its records of every group, as published.
                await("a tick whose global record has all " + STREAMS + " streams begun and fed")
                        .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                        .failFast("an app stopped on an error", () -> a.failure() != null || b.failure() != null)
                        .until(() -> {
                            tick.set(reader.firstTickWhere(g -> g.active() == STREAMS && g.started() == STREAMS
                                    && g.ttftMs() != null && g.ttftMs().count() == STREAMS));
                            return tick.get() != null;
                        });
            }
            assertEquals(expected, tick.get());
        }
    }

    /**
     * Each group's figures from all of its streams: active, tps (the mean of the per-stream rates, rounded like
     * the seed), TTFT and inter-delta percentiles (a sketch of all of the group's values), started and ended.
     */
    static Map<String, String> expected(List<Stream> streams) {
        Map<String, List<Stream>> groups = new TreeMap<>();
        for (Stream s : streams) {
            groups.computeIfAbsent(Topics.STATS_KEY, k -> new ArrayList<>()).add(s);
            groups.computeIfAbsent(Topics.MODEL_KEY_PREFIX + s.model(), k -> new ArrayList<>()).add(s);
            groups.computeIfAbsent(Topics.TENANT_KEY_PREFIX + s.tenant(), k -> new ArrayList<>()).add(s);
        }
        Map<String, String> figures = new TreeMap<>();
        groups.forEach((key, members) -> {
            LatencySketch ttft = new LatencySketch();
            LatencySketch itl = new LatencySketch();
            double sum = 0;
            for (Stream s : members) {
                ttft.add(s.ttftMs());
                for (long gap : s.gapsMs()) {
                    itl.add(gap);
                }
                sum += s.tps();
            }
            figures.put(key, describe(key, members.size(), PythonRound.oneDecimal(sum / members.size()),
                    ttft.percentiles(), itl.percentiles(), members.size(), 0));
        });
        return figures;
    }

    /** The figures compared, system_tps aside (its 10 s window is on the meters' clocks: timing, not content). */
    static String describe(String key, long active, Double tps, Insight.Percentiles ttft, Insight.Percentiles itl,
                           long started, long ended) {
        return key + ": active " + active + ", tps " + tps + ", ttft " + ttft + ", itl " + itl + ", started " + started
                + ", ended " + ended;
    }

    static String describe(Insight i) {
        return describe(i.key(), i.active(), i.tps(), i.ttftMs(), i.itlMs(), i.started(), i.ended());
    }

    private static int partition(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % 4;
    }

    private static void send(List<Stream> streams) {
        Properties p = new Properties();
        p.putAll(kafka.clientConfig());
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            // In time order, as a producer would send them: each stream's events stay in order in its partition.
            streams.stream().flatMap(s -> s.events().stream())
                    .sorted(java.util.Comparator.comparingLong(DeltaEvent::ts))
                    .forEach(e -> producer.send(new ProducerRecord<>(Topics.DELTAS.name(), null, e.ts(), e.streamId(), DeltaEventCodec.encode(e))));
            producer.flush();
        }
    }

    /** Active session tasks (sub-topology 0) of an instance. */
    private static int sessionTasks(MeteringApp app) {
        return (int) app.streams().metadataForLocalThreads().stream()
                .map(ThreadMetadata::activeTasks)
                .flatMap(Set::stream)
                .filter(t -> t.taskId().subtopology() == 0)
                .count();
    }

    /** The insights topic, read_committed from the beginning, as a dashboard reads it. */
    private static final class InsightsReader implements AutoCloseable {
        private final KafkaConsumer<String, byte[]> consumer;
        /** tick -> key -> the record's figures (a repeated tick, at-least-once, carries the same ones). */
        private final TreeMap<Long, Map<String, Insight>> ticks = new TreeMap<>();

        InsightsReader() {
            Properties p = new Properties();
            p.putAll(kafka.clientConfig());
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.INSIGHTS.name(), Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }

        /**
         * Reads what has come, then returns the figures of every group of the first tick whose global record
         * matches, once the tick is complete; null when there is none yet.
         */
        Map<String, String> firstTickWhere(java.util.function.Predicate<Insight> global) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                Insight i = Topics.INSIGHTS.deserializeValue(r.value());
                assertEquals(i.key(), r.key(), "the record key is the group");
                ticks.computeIfAbsent(i.ts(), t -> new HashMap<>()).put(i.key(), i);
            }
            for (Map.Entry<Long, Map<String, Insight>> e : ticks.entrySet()) {
                Map<String, Insight> tick = e.getValue();
                Insight g = tick.get(Topics.STATS_KEY);
                // Complete once a later tick has come: one partition, and a tick's records are published together.
                if (g != null && global.test(g) && ticks.higherKey(e.getKey()) != null) {
                    return tick.values().stream().collect(Collectors.toMap(Insight::key, InsightsScaleOutIT::describe,
                            (x, y) -> x, TreeMap::new));
                }
            }
            return null;
        }

        @Override
        public void close() {
            consumer.close();
        }
    }
}
