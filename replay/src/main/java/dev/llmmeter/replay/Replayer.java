package dev.llmmeter.replay;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.llmmeter.contract.DeadLetterHeaders;
import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.DeltaEventCodec;
import dev.llmmeter.contract.InvalidDeltaException;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.MeteringTopology;
import dev.llmmeter.topology.Ticks;
import dev.llmmeter.topology.processors.MeteringMetrics;
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
 * <p>Idle stretches cost one tick: after a tick that emitted no stats record, and with no accepted event since,
 * the topology emits nothing until the next accepted event (no session has a recent delta, and the idle record
 * has been sent), so the clock jumps straight to the fire time of the last tick before that event. That one
 * punctuation prunes what the skipped ones would have (pruning only grows with the tick), and Kafka keeps the
 * punctuation schedule aligned to whole seconds after a jump. The tail is crossed the same way.
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

    /** The replay's own graph: in-memory stores, partials handed straight to the combiner (see README, Replay). */
    public Replayer(MeteringConfig config, Duration tail) {
        this(config, tail, MeteringTopology.Durability.EPHEMERAL);
    }

    /**
     * @param durability {@code DURABLE} replays on the graph that ships (RocksDB stores, changelogs, the repartition
     *                   topic between the session tasks and the combiner): slower, and the golden tests run it too,
     *                   so the seed's output is proven on what runs in production
     */
    Replayer(MeteringConfig config, Duration tail, MeteringTopology.Durability durability) {
        this.config = config;
        this.tail = tail;
        this.durability = durability;
    }

    /**
     * What a replay did, for the summary. {@code events} counts every line piped (accepted and dead-lettered);
     * {@code ticks} counts the punctuations run, an idle stretch crossed in one step counting one.
     */
    public record Summary(long events, long deadLetters, long outOfOrder, long unknownStream, long ticks,
                          long statsRecords) {
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
     * @param stats      receives each stats record's JSON, in tick order
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
        private final TestOutputTopic<byte[], byte[]> dlqTopic;
        private final Consumer<String> stats;
        private final Consumer<String> deadLetter;
        private long clock;      // the last tick done
        private long wallClock;  // the driver's wall clock
        private long eventTime;  // ts of the last accepted event: the time of lines without ts, and of dead letters
        private long lastTs = Long.MIN_VALUE; // the latest accepted ts, where the tail starts
        private boolean idle;    // the last tick emitted nothing and no accepted event came since
        private long events;
        private long deadLetters;
        private long ticks;
        private long statsRecords;

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
                input.pipeInput(new TestRecord<>(line.key(), line.value(), null, eventTime));
                idle = false;
            } else {
                // Rejected: at the current wall clock and event time, moving neither; the topology dead-letters it.
                input.pipeInput(new TestRecord<>(null, line.value(), null, eventTime));
            }
            events++;
            drainDeadLetters();
        }

        /**
         * Runs every tick strictly before {@code time} (an event at ts == T is applied before the tick at T);
         * an idle stretch in one step, to the last of those ticks.
         */
        private void tickBefore(long time) {
            while (time - clock > INTERVAL_MS) { // the next tick, clock + 1 s, is before time
                if (idle) { // tick() below runs the last tick before time
                    clock = Ticks.tickOf(time - 1) - INTERVAL_MS;
                }
                tick();
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
                stats.accept(new String(statsTopic.readValue(), StandardCharsets.UTF_8));
                statsRecords++;
                emitted = true;
            }
            idle = !emitted;
            drainDeadLetters();
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
            tickBefore(end);
            if (clock < end) {
                tick(); // the first tick at or after end
            }
            return new Summary(events, deadLetters,
                    MeteringMetrics.total(driver.metrics(), MeteringMetrics.OUT_OF_ORDER_DELTAS),
                    MeteringMetrics.total(driver.metrics(), MeteringMetrics.UNKNOWN_STREAM_DELTAS),
                    ticks, statsRecords);
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
    private record TraceLine(byte[] key, byte[] value, long ts, boolean accepted) {
        static TraceLine of(byte[] value) {
            DeltaEvent e;
            try {
                e = DeltaEventCodec.decode(value);
            } catch (InvalidDeltaException invalid) {
                return new TraceLine(null, value, DeltaEvent.NO_TS, false);
            }
            return new TraceLine(e.streamId().getBytes(StandardCharsets.UTF_8), value, e.ts(), true);
        }
    }
}
