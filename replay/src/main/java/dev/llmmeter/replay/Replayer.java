package dev.llmmeter.replay;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.llmmeter.contract.DeadLetterHeaders;
import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.DeltaEventCodec;
import dev.llmmeter.contract.EventType;
import dev.llmmeter.contract.InvalidDeltaException;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.contract.StreamStatus;
import dev.llmmeter.contract.Usage;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.MeteringTopology;
import dev.llmmeter.topology.Ticks;
import dev.llmmeter.topology.processors.MeteringMetrics;
import dev.llmmeter.topology.state.Session;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * Runs the production topology offline, in a TopologyTestDriver, over a trace of delta events (one JSON
 * event per line, in time order). No broker; the wall clock is the trace's own time:
 * <ul>
 *   <li>the clock starts at floor(first accepted ts / 1000) x 1000 and ticks at every whole second after it;</li>
 *   <li>every event with ts &lt;= T is applied before the tick at T, and arrives (is piped) with the driver's wall
 *       clock at its ts;</li>
 *   <li>the last tick is the first one at or after the last accepted ts + the tail.</li>
 * </ul>
 * Lines are read as bytes and each is decoded once, by {@link DeltaEventCodec#decode(byte[])}, the topology's own
 * decoder. An <em>accepted</em> line is keyed by its {@code stream_id} and moves the clock to its {@code ts} (a
 * line without {@code ts} takes the last accepted one's). A rejected line is piped as it is, without a key, at the
 * current wall clock and event time, and moves no clock: the topology dead-letters it with the codec's reason, as
 * on Kafka. Blank lines are skipped.
 *
 * <p>Idle stretches cost one tick: after a tick that emitted no stats and no insights record, and with no accepted
 * event since, the topology emits no stats and no insights until the next accepted event (no session has a recent
 * delta, nothing is left in the insights' windows, and both idle records have been sent), so the clock jumps straight
 * to the fire time of the last tick before that event. That one punctuation prunes what the skipped ones would have
 * (pruning only grows with the tick), and Kafka keeps the
 * punctuation schedule aligned to whole seconds after a jump. The tail is crossed the same way.
 *
 * <p>What is printed is one output topic's records, one JSON line each, in the order the topology produced them
 * ({@link #outputTopics}): the stats (the default, as they always were), the insights (each record's value as
 * published), the usage ledger's records (below), or the per-stream records, where a tombstone (a stream's record
 * deleted from the compacted topic, {@code metering.streams.retention.ms} after its final record) prints as
 * {@code {"stream_id":"KEY","tombstone":true,"ts":TICK}}. The streams topic does get records in an idle stretch:
 * a stream begun and never fed expires ({@link Session#beginExpiryTick}), and a tombstone falls due. While the
 * streams are printed, an idle stretch is therefore crossed in one step only up to the next tick at which a begin
 * received so far may expire or a tombstone is due, so that each record is dated with the tick that publishes it
 * live (a begin whose stream was fed or ended in the meantime costs one tick that publishes nothing).
 *
 * <p>The usage ledger's records print as published (CloudEvents JSON, {@code Topics.USAGE}). The ledger closes a
 * window when its clock passes the window's end plus {@code metering.usage.grace.ms}; so that the end of a trace
 * leaves no window open, the clock then runs on past the tail, as the meter's would with no more input, until every
 * session has left (stale or expired, its bill sent) and every window has closed ({@code usageSettled}). Nothing in
 * the topology is replay-specific: the same punctuation closes windows live. The jumps over idle stretches stop at
 * each begin's expiry tick here too, so that its bill meets the ledger as it would live; windows that close inside a
 * jump close in one punctuation, in the order of their ends, as they would one second at a time.
 */
public final class Replayer {
    private static final JsonFactory JSON = JsonFactory.builder().build();
    private static final String APPLICATION_ID = "metering-replay";
    private static final long INTERVAL_MS = Ticks.INTERVAL.toMillis();
    /**
     * The latest time the replay's clock reaches: the last millisecond of the year 9999. The wire contract allows
     * any ts up to 2^63 - 1, but the driver's wall clock follows the trace's ts, and Kafka's punctuation schedule
     * overflows near the end of that range.
     */
    static final long MAX_TS = 253_402_300_799_999L;

    private final MeteringConfig config;
    private final Duration tail;
    private final MeteringTopology.Durability durability;
    private final Output output;

    /** What a replay prints: one of the topology's four outputs. */
    private enum Output {
        STATS, INSIGHTS, STREAMS, USAGE
    }

    /** The replay's own graph: in-memory stores, partials handed straight to the combiner (see docs/commands.md, Replay). */
    public Replayer(MeteringConfig config, Duration tail) {
        this(config, tail, MeteringTopology.Durability.EPHEMERAL);
    }

    /**
     * As {@link #Replayer(MeteringConfig, Duration)}, printing the records of {@code outputTopic} instead of the stats.
     *
     * @param outputTopic one of {@link #outputTopics}: the configured stats, insights, streams or usage topic
     * @throws IllegalArgumentException for any other topic, naming the ones there are
     */
    public Replayer(MeteringConfig config, Duration tail, String outputTopic) {
        this(config, tail, MeteringTopology.Durability.EPHEMERAL, outputTopic);
    }

    /**
     * @param durability {@code DURABLE} replays on the graph that ships (RocksDB stores, changelogs, the repartition
     *                   topic between the session tasks and the combiner): slower, and the golden tests run it too,
     *                   so the seed's output is proven on what runs in production
     */
    Replayer(MeteringConfig config, Duration tail, MeteringTopology.Durability durability) {
        this(config, tail, durability, config.statsTopic());
    }

    Replayer(MeteringConfig config, Duration tail, MeteringTopology.Durability durability, String outputTopic) {
        this.config = config;
        this.tail = tail;
        this.durability = durability;
        if (outputTopic.equals(config.statsTopic())) {
            this.output = Output.STATS;
        } else if (outputTopic.equals(config.insightsTopic())) {
            this.output = Output.INSIGHTS;
        } else if (outputTopic.equals(config.streamsTopic())) {
            this.output = Output.STREAMS;
        } else if (outputTopic.equals(config.usageTopic())) {
            this.output = Output.USAGE;
        } else {
            throw new IllegalArgumentException("unknown output topic " + outputTopic + "; the topology writes "
                    + String.join(", ", outputTopics(config)));
        }
    }

    /** The topics a replay can print, under their configured names: stats (the default), insights, streams, usage. */
    public static java.util.List<String> outputTopics(MeteringConfig config) {
        return java.util.List.of(config.statsTopic(), config.insightsTopic(), config.streamsTopic(), config.usageTopic());
    }

    /**
     * What a replay did, for the summary. {@code events} counts every line piped (accepted and dead-lettered);
     * {@code ticks} counts the punctuations run, an idle stretch crossed in one step counting one.
     * {@code outputRecords} counts the lines printed: the stats records, unless another output topic was chosen.
     */
    public record Summary(long events, long deadLetters, long outOfOrder, long unknownStream, long ticks,
                          long statsRecords, long outputRecords) {
        public Summary(long events, long deadLetters, long outOfOrder, long unknownStream, long ticks, long statsRecords) {
            this(events, deadLetters, outOfOrder, unknownStream, ticks, statsRecords, statsRecords);
        }
    }

    /** A trace that cannot be replayed at all (as opposed to bad lines in it, which are dead letters). */
    public static final class UnreplayableTraceException extends Exception {
        UnreplayableTraceException(String message) {
            super(message, null, false, false);
        }
    }

    /** {@link #replay(InputStream, String, Consumer, Consumer)} of an input named "the trace" in read errors. */
    public Summary replay(InputStream trace, Consumer<String> stats, Consumer<String> deadLetter)
            throws IOException, UnreplayableTraceException {
        return replay(trace, "the trace", stats, deadLetter);
    }

    /**
     * @param trace      the trace, one event per line, read as bytes (closed when done)
     * @param source     names the trace in read errors
     * @param stats      receives each record of the output topic as one JSON line, in the order produced (the stats
     *                   records, in tick order, unless another output topic was chosen)
     * @param deadLetter receives each dead letter as {@code {"reason":..,"detail":..,"value":..}}, or with
     *                   {@code "value_base64"} instead of {@code "value"} when the line is not valid UTF-8
     * @throws IOException                 when the trace cannot be read (the message names {@code source})
     * @throws UnreplayableTraceException when the trace has lines but no accepted one carries a {@code ts}, or an
     *                                    accepted line's ts is past {@link #MAX_TS} (the stats up to it are out)
     */
    public Summary replay(InputStream trace, String source, Consumer<String> stats, Consumer<String> deadLetter)
            throws IOException, UnreplayableTraceException {
        try (TraceLines lines = new TraceLines(trace, source)) {
            ArrayDeque<TraceLine> head = new ArrayDeque<>();
            TraceLine firstTimed = null;
            TraceLine t;
            while (firstTimed == null && (t = next(lines, source)) != null) {
                head.add(t);
                if (t.accepted() && t.ts() != DeltaEvent.NO_TS) {
                    firstTimed = t;
                }
            }
            if (firstTimed == null) {
                if (head.isEmpty()) {
                    return new Summary(0, 0, 0, 0, 0, 0);
                }
                throw new UnreplayableTraceException("none of the " + head.size() + " lines of " + source
                        + " is a valid delta event with a \"ts\": the replay clock needs at least one");
            }
            Path stateDir;
            try {
                stateDir = Files.createTempDirectory("metering-replay");
            } catch (IOException e) {
                throw new IOException("cannot create a temporary state directory: " + e.getMessage(), e);
            }
            try (Run run = new Run(Ticks.tickOf(firstTimed.ts()), stateDir, stats, deadLetter)) {
                for (TraceLine h : head) {
                    run.apply(h);
                }
                head.clear();
                while ((t = next(lines, source)) != null) {
                    run.apply(t);
                }
                return run.finish();
            } finally {
                Utils.delete(stateDir.toFile());
            }
        }
    }

    /** The next line, decoded; null at the end. */
    private static TraceLine next(TraceLines lines, String source) throws IOException, UnreplayableTraceException {
        byte[] bytes = lines.next();
        if (bytes == null) {
            return null;
        }
        TraceLine t = TraceLine.of(bytes);
        if (t.accepted() && t.ts() > MAX_TS) {
            throw new UnreplayableTraceException("line " + lines.lineNumber() + " of " + source + ": ts " + t.ts()
                    + " is past the end of the year 9999, the latest time the replay clock can reach (" + MAX_TS + ")");
        }
        return t;
    }

    /** One replay in progress: the driver, its clock and the counts. */
    private final class Run implements AutoCloseable {
        private final TopologyTestDriver driver;
        private final TestInputTopic<byte[], byte[]> input;
        private final TestOutputTopic<byte[], byte[]> statsTopic;
        private final TestOutputTopic<byte[], byte[]> insightsTopic;
        private final TestOutputTopic<byte[], byte[]> streamsTopic;
        private final TestOutputTopic<byte[], byte[]> usageTopic;
        private final TestOutputTopic<byte[], byte[]> dlqTopic;
        /** Printing the streams: the tick of the tombstone due for each stream whose final record was printed. */
        private final java.util.Map<String, Long> tombstonesDue = new java.util.HashMap<>();
        private final java.util.TreeMap<Long, Integer> dueTicks = new java.util.TreeMap<>();
        /**
         * Printing the streams or the usage: the ticks, ascending and distinct, at which a begin received so far
         * expires if its stream gets no delta by then (its final record, and its bill). One a second at most: a
         * begin's expiry is a tick, and they come in order.
         */
        private final ArrayDeque<Long> expiryTicks = new ArrayDeque<>();
        private final Consumer<String> stats;
        private final Consumer<String> deadLetter;
        private long clock;      // the last tick done
        private long wallClock;  // the driver's wall clock
        private long eventTime;  // ts of the last accepted event: the time of lines without ts, and of dead letters
        private long lastTs = Long.MIN_VALUE; // the latest accepted ts, where the tail starts
        private long lastArrival; // the wall clock when the last accepted event arrived: every session was seen by then
        private boolean idle;    // the last tick emitted nothing (stats, insights) and no accepted event came since
        private long events;
        private long deadLetters;
        private long ticks;
        private long statsRecords;
        private long outputRecords;

        Run(long startClock, Path stateDir, Consumer<String> stats, Consumer<String> deadLetter) {
            Properties props = MeteringTopology.streamsProperties(config);
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "replay.invalid:9092");
            props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
            // Nothing ever arrives late in a replay: task idling (for a task with several input partitions, one of
            // them empty) has nothing to wait for, and is off.
            props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, String.valueOf(StreamsConfig.MAX_TASK_IDLE_MS_DISABLED));
            this.driver = new TopologyTestDriver(MeteringTopology.build(config, 1, durability), props, Instant.ofEpochMilli(startClock));
            this.input = driver.createInputTopic(config.deltasTopic(), new ByteArraySerializer(), new ByteArraySerializer());
            this.statsTopic = driver.createOutputTopic(config.statsTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
            this.insightsTopic = driver.createOutputTopic(config.insightsTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
            this.streamsTopic = driver.createOutputTopic(config.streamsTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
            this.usageTopic = driver.createOutputTopic(config.usageTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
            this.dlqTopic = driver.createOutputTopic(config.deadLetterTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
            this.stats = stats;
            this.deadLetter = deadLetter;
            this.clock = startClock;
            this.wallClock = startClock;
            this.eventTime = startClock;
        }

        void apply(TraceLine line) {
            if (line.accepted()) {
                if (line.ts() != DeltaEvent.NO_TS) {
                    eventTime = line.ts();
                    lastTs = Math.max(lastTs, line.ts());
                }
                tickBefore(eventTime);
                arriveAt(eventTime);
                if (line.begin() && (output == Output.STREAMS || output == Output.USAGE)) {
                    expectExpiry(Session.beginExpiryTick(wallClock, config.beginExpiryMs())); // received now
                }
                input.pipeInput(new TestRecord<>(line.key(), line.value(), null, eventTime));
                lastArrival = wallClock;
                idle = false;
            } else {
                // Rejected: at the current wall clock and event time, moving neither; the topology dead-letters it.
                input.pipeInput(new TestRecord<>(null, line.value(), null, eventTime));
            }
            events++;
            drainStreams(); // an end or an eviction publishes its stream's final record at once
            drainUsage();   // a late end is billed at once; a bill's event time may close windows
            drainDeadLetters();
        }

        /**
         * Runs every tick strictly before {@code time} (an event at ts == T is applied before the tick at T);
         * an idle stretch in one step, to the last of those ticks, or to the next tick at which a begin may expire or
         * a tombstone is due (while the streams or the usage are printed) if that is sooner.
         */
        private void tickBefore(long time) {
            while (time - clock > INTERVAL_MS) { // the next tick, clock + 1 s, is before time
                if (idle) { // tick() below runs the tick the jump lands on
                    long last = Math.min(Ticks.tickOf(time - 1), Math.max(nextDueTick(), clock + INTERVAL_MS));
                    clock = last - INTERVAL_MS;
                }
                tick();
            }
        }

        /** The next tick at which the streams topic may get a record while the stats are idle; MAX_VALUE if none. */
        private long nextDueTick() {
            long next = dueTicks.isEmpty() ? Long.MAX_VALUE : dueTicks.firstKey();
            return expiryTicks.isEmpty() ? next : Math.min(next, expiryTicks.peekFirst());
        }

        private void expectExpiry(long tick) {
            if (expiryTicks.isEmpty() || expiryTicks.peekLast() < tick) {
                expiryTicks.addLast(tick);
            }
        }

        /** The wall clock moves on to the event's time (arrival = the trace's time), never back, running no tick. */
        private void arriveAt(long time) {
            if (time > wallClock) {
                driver.advanceWallClockTime(Duration.ofMillis(time - wallClock));
                wallClock = time;
            }
        }

        private void tick() {
            clock += INTERVAL_MS;
            long fire = Ticks.fireTime(clock);
            if (fire > wallClock) {
                driver.advanceWallClockTime(Duration.ofMillis(fire - wallClock));
                wallClock = fire;
            }
            ticks++;
            boolean emitted = false;
            while (!statsTopic.isEmpty()) {
                byte[] value = statsTopic.readValue();
                if (output == Output.STATS) {
                    print(value);
                }
                statsRecords++;
                emitted = true;
            }
            while (!insightsTopic.isEmpty()) {
                byte[] value = insightsTopic.readValue(); // read either way: the driver keeps what is not read
                if (output == Output.INSIGHTS) {
                    print(value);
                }
                emitted = true; // the insights run down for a minute after the stats' idle record
            }
            drainStreams();
            drainUsage();
            dueTicks.headMap(clock, true).clear(); // due by now: a tombstone that did not come is not waited for
            while (!expiryTicks.isEmpty() && expiryTicks.peekFirst() <= clock) {
                expiryTicks.pollFirst(); // likewise a begin whose stream was fed or ended in time
            }
            idle = !emitted;
            drainDeadLetters();
        }

        private void print(byte[] value) {
            stats.accept(new String(value, StandardCharsets.UTF_8));
            outputRecords++;
        }

        /** The per-stream records produced so far; printed, and their tombstones awaited, when they are the output. */
        private void drainStreams() {
            while (!streamsTopic.isEmpty()) {
                TestRecord<byte[], byte[]> r = streamsTopic.readRecord();
                if (output != Output.STREAMS) {
                    continue;
                }
                String id = new String(r.key(), StandardCharsets.UTF_8);
                unschedule(id);
                if (r.value() == null) {
                    stats.accept(tombstone(id, r.timestamp()));
                    outputRecords++;
                    continue;
                }
                print(r.value());
                StreamStatus status = Topics.STREAMS.deserializeValue(r.value());
                if (status.state() != StreamStatus.State.ACTIVE) {
                    schedule(id, firstTickAtOrAfter(saturatingAdd(status.ts(), config.streamsRetentionMs())));
                }
            }
        }

        private void schedule(String id, long dueTick) {
            tombstonesDue.put(id, dueTick);
            dueTicks.merge(dueTick, 1, Integer::sum);
        }

        private void unschedule(String id) {
            Long due = tombstonesDue.remove(id);
            if (due != null) {
                dueTicks.computeIfPresent(due, (t, n) -> n == 1 ? null : n - 1);
            }
        }

        /** The usage ledger's records produced so far (read either way: the driver keeps what is not read). */
        private void drainUsage() {
            while (!usageTopic.isEmpty()) {
                byte[] value = usageTopic.readValue();
                if (output == Output.USAGE) {
                    print(value);
                }
            }
        }

        private void drainDeadLetters() {
            while (!dlqTopic.isEmpty()) {
                deadLetter.accept(describe(dlqTopic.readRecord()));
                deadLetters++;
            }
        }

        Summary finish() {
            // Saturating: a tail or a ts near the end of time must not wrap the clock around.
            long end = Math.min(saturatingAdd(lastTs, tailMs()), MAX_TS);
            if (output == Output.USAGE) {
                end = Math.max(end, usageSettled());
            }
            tickBefore(end);
            if (clock < end) {
                tick(); // the first tick at or after end
            }
            return new Summary(events, deadLetters,
                    MeteringMetrics.total(driver.metrics(), MeteringMetrics.OUT_OF_ORDER_DELTAS),
                    MeteringMetrics.total(driver.metrics(), MeteringMetrics.UNKNOWN_STREAM_DELTAS),
                    ticks, statsRecords, outputRecords);
        }

        /**
         * When the usage ledger has nothing left open, as the meter's clock would get there with no more input:
         * every session has left (stale, or begun and never fed; its bill sent), and every window has closed (its
         * end plus {@code metering.usage.grace.ms}). Every bill is dated at or before the last accepted ts, so the
         * last window to close is the hour holding it; a bill that comes after its windows closed is published at
         * once, in an amendment.
         */
        private long usageSettled() {
            long sessionsGone = Math.min(
                    Session.beginExpiryTick(lastArrival, Math.max(config.staleMs(), config.beginExpiryMs())), MAX_TS);
            long windowsClosed = Long.MIN_VALUE;
            for (Usage.Window w : Usage.Window.values()) {
                // lastTs <= MAX_TS and grace <= a day: no overflow
                windowsClosed = Math.max(windowsClosed, w.startOf(lastTs) + w.sizeMs() + config.usageGraceMs());
            }
            return Math.max(sessionsGone, windowsClosed);
        }

        private long tailMs() {
            try {
                return tail.toMillis();
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
        }

        @Override
        public void close() {
            driver.close();
        }
    }

    /** The first whole-second tick at or after {@code t}. */
    private static long firstTickAtOrAfter(long t) {
        long tick = Ticks.tickOf(t);
        return tick == t ? t : saturatingAdd(tick, INTERVAL_MS);
    }

    /**
     * A tombstone on the streams topic as one JSON line: {@code {"stream_id":KEY,"tombstone":true,"ts":TICK}}, the
     * key and the record's timestamp (the tick that deleted the stream's record).
     */
    static String tombstone(String streamId, long ts) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("stream_id", streamId);
            g.writeBooleanField("tombstone", true);
            g.writeNumberField("ts", ts);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static long saturatingAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    /**
     * A dead letter as one JSON line: the reason and detail headers, and the value as a string when it is valid
     * UTF-8, else its bytes as {@code "value_base64"} (standard Base64), so that no byte is lost or replaced.
     */
    static String describe(TestRecord<byte[], byte[]> r) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("reason", header(r, DeadLetterHeaders.REASON));
            g.writeStringField("detail", header(r, DeadLetterHeaders.DETAIL));
            byte[] value = r.value();
            if (value != null && !DeltaEventCodec.isUtf8(value)) {
                g.writeStringField("value_base64", Base64.getEncoder().encodeToString(value));
            } else {
                g.writeStringField("value", value == null ? null : new String(value, StandardCharsets.UTF_8));
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static String header(TestRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /**
     * A trace line as the replay needs it: its bytes and, when the codec accepts it, its key ({@code stream_id})
     * and {@code ts} ({@link DeltaEvent#NO_TS} when it has none). A rejected line has neither: the topology
     * dead-letters it with the codec's reason.
     */
    private record TraceLine(byte[] key, byte[] value, long ts, boolean accepted, boolean begin) {
        static TraceLine of(byte[] value) {
            DeltaEvent e;
            try {
                e = DeltaEventCodec.decode(value);
            } catch (InvalidDeltaException invalid) {
                return new TraceLine(null, value, DeltaEvent.NO_TS, false, false);
            }
            return new TraceLine(e.streamId().getBytes(StandardCharsets.UTF_8), value, e.ts(), true,
                    e.type() == EventType.BEGIN);
        }
    }
}
