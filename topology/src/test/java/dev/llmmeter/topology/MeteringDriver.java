package dev.llmmeter.topology;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.DeltaEventCodec;
import dev.llmmeter.contract.Insight;
import dev.llmmeter.contract.StreamStatus;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.Usage;
import dev.llmmeter.topology.processors.MeteringMetrics;
import dev.llmmeter.topology.state.Session;
import dev.llmmeter.topology.state.SessionsStore;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The production topology in a TopologyTestDriver, with the wall clock at a whole second, and small
 * verbs for the tests: send events, tick, read stats and dead letters.
 */
final class MeteringDriver implements AutoCloseable {
    static final long T0 = 1_790_000_000_000L;

    final TopologyTestDriver driver;
    private final TestInputTopic<byte[], byte[]> deltas;
    private final TestOutputTopic<String, Stats> stats;
    private final TestOutputTopic<byte[], byte[]> deadLetters;
    private final TestOutputTopic<String, StreamStatus> streams;
    private final TestOutputTopic<String, Insight> insights;
    private final TestOutputTopic<String, Usage> usage;
    /** This driver's own state directory, deleted on {@link #close()}. */
    private final Path stateDir;
    private long wallClock;

    MeteringDriver() {
        this(MeteringConfig.defaults());
    }

    MeteringDriver(MeteringConfig config) {
        this(config, MeteringTopology.Durability.DURABLE);
    }

    MeteringDriver(MeteringConfig config, MeteringTopology.Durability durability) {
        Properties props = MeteringTopology.streamsProperties(config);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "metering-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        try {
            stateDir = Files.createTempDirectory("metering-ttd");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        wallClock = T0;
        driver = new TopologyTestDriver(MeteringTopology.build(config, durability), props, Instant.ofEpochMilli(T0));
        deltas = driver.createInputTopic(config.deltasTopic(), new ByteArraySerializer(), new ByteArraySerializer());
        stats = driver.createOutputTopic(config.statsTopic(), new StringDeserializer(), Topics.STATS.valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(config.deadLetterTopic(),
                Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
        streams = driver.createOutputTopic(config.streamsTopic(), new StringDeserializer(), Topics.STREAMS.valueSerde().deserializer());
        insights = driver.createOutputTopic(config.insightsTopic(), new StringDeserializer(), Topics.INSIGHTS.valueSerde().deserializer());
        usage = driver.createOutputTopic(config.usageTopic(), new StringDeserializer(), Topics.USAGE.valueSerde().deserializer());
    }

    /** The usage ledger's records since the last call. */
    List<TestRecord<String, Usage>> usageRecords() {
        return usage.readRecordsToList();
    }

    /** A begin naming a model and a tenant (either may be null). */
    MeteringDriver begin(String id, long ts, String model, String tenant) {
        return send(DeltaEvent.begin(id, ts, model, tenant));
    }

    /** The records on the streams topic since the last call (a tombstone has a null value). */
    List<TestRecord<String, StreamStatus>> streamRecords() {
        return streams.readRecordsToList();
    }

    List<StreamStatus> streams() {
        return streams.readValuesToList();
    }

    List<Insight> insights() {
        return insights.readValuesToList();
    }

    List<TestRecord<String, Insight>> insightRecords() {
        return insights.readRecordsToList();
    }

    /**
     * Sends an event keyed by its stream id, with the record timestamp = its ts, arriving at its own ts: the
     * wall clock first moves on to the event's ts (never back), running the ticks before it, as a producer with
     * a true clock and no lag would have it (and as the replay does).
     */
    MeteringDriver send(DeltaEvent e) {
        arriveAt(e.ts());
        return deliver(e);
    }

    /** Sends an event at the current wall clock, whatever its ts says: a producer's skewed clock, or a backlog. */
    MeteringDriver deliver(DeltaEvent e) {
        return sendRaw(e.streamId(), DeltaEventCodec.encode(e), e.ts());
    }

    /** Moves the wall clock to {@code epochMs} (never back), running every tick before it; the tick at it stays to come. */
    MeteringDriver arriveAt(long epochMs) {
        advanceTo(epochMs);
        return this;
    }

    MeteringDriver begin(String id, long ts) {
        return send(DeltaEvent.begin(id, ts));
    }

    MeteringDriver output(String id, long ts, long running) {
        return send(DeltaEvent.output(id, ts, running));
    }

    MeteringDriver reasoning(String id, long ts, long running) {
        return send(DeltaEvent.reasoning(id, ts, running));
    }

    MeteringDriver end(String id, long ts) {
        return send(DeltaEvent.end(id, ts, 0, 0));
    }

    MeteringDriver sendRaw(String key, String json, long recordTs) {
        return sendRaw(key, json == null ? null : json.getBytes(StandardCharsets.UTF_8), recordTs);
    }

    MeteringDriver sendRaw(String key, byte[] value, long recordTs) {
        deltas.pipeInput(new TestRecord<>(key == null ? null : key.getBytes(StandardCharsets.UTF_8), value,
                null, recordTs));
        return this;
    }

    MeteringDriver sendRawWithHeaders(String key, byte[] value, org.apache.kafka.common.header.Headers headers, long recordTs) {
        deltas.pipeInput(new TestRecord<>(key == null ? null : key.getBytes(StandardCharsets.UTF_8), value,
                headers, recordTs));
        return this;
    }

    /** Runs every tick up to and including {@code epochMs}: the wall clock moves one tick at a time to just past it. */
    MeteringDriver tickTo(long epochMs) {
        advanceTo(Ticks.fireTime(Ticks.tickOf(epochMs)));
        return this;
    }

    /** Advances the wall clock to {@code epochMs}, stopping at each tick's fire time on the way so each one runs. */
    private void advanceTo(long epochMs) {
        while (wallClock < epochMs) {
            long nextFire = Ticks.fireTime(Ticks.tickOf(wallClock - Ticks.FIRE_DELAY_MS) + 1000);
            long step = Math.min(nextFire - wallClock, epochMs - wallClock);
            driver.advanceWallClockTime(Duration.ofMillis(step));
            wallClock += step;
        }
    }

    long wallClock() {
        return wallClock;
    }

    /** Ticks through the next {@code seconds} whole seconds. */
    MeteringDriver tickSeconds(int seconds) {
        return tickTo(Ticks.tickOf(wallClock) + seconds * 1000L);
    }

    List<Stats> stats() {
        return stats.readValuesToList();
    }

    List<TestRecord<String, Stats>> statsRecords() {
        return stats.readRecordsToList();
    }

    List<TestRecord<byte[], byte[]>> deadLetters() {
        return deadLetters.readRecordsToList();
    }

    static String header(TestRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    KeyValueStore<String, SessionsStore.Entry> sessions() {
        return driver.getKeyValueStore(StoreNames.SESSIONS);
    }

    /** The stored session of stream {@code id}, null when there is none. */
    Session session(String id) {
        SessionsStore.Entry e = sessions().get(id);
        return e == null ? null : e.session();
    }

    List<String> sessionIds() {
        List<String> ids = new java.util.ArrayList<>();
        try (var it = sessions().all()) {
            it.forEachRemaining(kv -> ids.add(kv.key));
        }
        return ids;
    }

    KeyValueStore<Long, Double> readings() {
        return driver.getKeyValueStore(StoreNames.READINGS);
    }

    long counter(String name) {
        return MeteringMetrics.total(driver.metrics(), name);
    }

    /** The counter's series carrying each of {@code tags}, summed over tasks. */
    long counter(String name, Map<String, String> tags) {
        return MeteringMetrics.total(driver.metrics(), name, tags);
    }

    /** The driver's metrics: Kafka Streams' own and the topology's. */
    Map<org.apache.kafka.common.MetricName, ? extends org.apache.kafka.common.Metric> metrics() {
        return driver.metrics();
    }

    /** Kafka Streams' own {@code dropped-records-total} of the tasks, summed: records its exception handlers resumed past. */
    long droppedRecords() {
        return (long) driver.metrics().entrySet().stream()
                .filter(e -> e.getKey().group().equals("stream-task-metrics") && e.getKey().name().equals("dropped-records-total"))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
    }

    /** The driver's state directory; gone after {@link #close()}. */
    Path stateDir() {
        return stateDir;
    }

    @Override
    public void close() {
        try {
            driver.close();
        } finally {
            try {
                Utils.delete(stateDir.toFile()); // one temporary directory per driver: leave none behind
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
