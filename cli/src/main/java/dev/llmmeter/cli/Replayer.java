package dev.llmmeter.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.llmmeter.contract.DeadLetterHeaders;
import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.DeltaEventCodec;
import dev.llmmeter.contract.InvalidDeltaException;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.MeteringStreamsConfig;
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

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * Runs the production topology offline, in a TopologyTestDriver, over a trace of delta events (one JSON
 * event per line, in time order). No broker; the wall clock is the trace's own time:
 * <ul>
 *   <li>the clock starts at floor(first ts / 1000) x 1000 and ticks at every whole second after it;</li>
 *   <li>every event with ts &lt;= T is applied before the tick at T;</li>
 *   <li>the last tick is the first one at or after the last event's ts + the tail.</li>
 * </ul>
 * A line's record key is its {@code stream_id} when it has one; a line without {@code ts} is stamped with
 * the time of the line before it. Blank lines are skipped.
 */
public final class Replayer {
    private static final JsonFactory JSON = JsonFactory.builder().build();
    private static final String APPLICATION_ID = "metering-replay";

    private final MeteringConfig config;
    private final Duration tail;

    public Replayer(MeteringConfig config, Duration tail) {
        this.config = config;
        this.tail = tail;
    }

    /** What a replay did, for the summary. */
    public record Summary(long events, long deadLetters, long outOfOrder, long unknownStream, long ticks,
                          long statsRecords) {
    }

    /**
     * @param trace      the trace, one event per line
     * @param stats      receives each stats record's JSON, in tick order
     * @param deadLetter receives each dead letter as {@code {"reason":..,"detail":..,"value":..}}
     * @throws IllegalArgumentException when no line of the trace carries a {@code ts}
     */
    public Summary replay(BufferedReader trace, Consumer<String> stats, Consumer<String> deadLetter) throws IOException {
        ArrayDeque<TraceLine> head = new ArrayDeque<>();
        TraceLine firstTimed = null;
        String line;
        while (firstTimed == null && (line = trace.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            TraceLine t = TraceLine.of(line);
            head.add(t);
            if (t.ts != null) {
                firstTimed = t;
            }
        }
        if (firstTimed == null) {
            if (head.isEmpty()) {
                return new Summary(0, 0, 0, 0, 0, 0);
            }
            throw new IllegalArgumentException("no line of the trace has a \"ts\": the replay clock needs at least one");
        }
        Path stateDir = Files.createTempDirectory("metering-replay");
        try (Run run = new Run(Ticks.tickOf(firstTimed.ts), stateDir, stats, deadLetter)) {
            for (TraceLine t : head) {
                run.apply(t);
            }
            while ((line = trace.readLine()) != null) {
                if (!line.isBlank()) {
                    run.apply(TraceLine.of(line));
                }
            }
            return run.finish();
        } finally {
            Utils.delete(stateDir.toFile());
        }
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
        private long eventTime;  // time of the last event, for lines without ts
        private long lastTs = Long.MIN_VALUE;
        private long events;
        private long deadLetters;
        private long ticks;
        private long statsRecords;

        Run(long startClock, Path stateDir, Consumer<String> stats, Consumer<String> deadLetter) {
            Properties props = MeteringStreamsConfig.required(config);
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "replay.invalid:9092");
            props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
            // Nothing ever arrives late in a replay: task idling (for a task with several input partitions, one of
            // them empty) has nothing to wait for, and is off.
            props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, String.valueOf(StreamsConfig.MAX_TASK_IDLE_MS_DISABLED));
            this.driver = new TopologyTestDriver(MeteringTopology.build(config.withSessionTasks(1), MeteringTopology.Durability.EPHEMERAL), props, Instant.ofEpochMilli(startClock));
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
            if (line.ts != null) {
                eventTime = line.ts;
                lastTs = Math.max(lastTs, line.ts);
            }
            tickBefore(eventTime);
            arriveAt(eventTime);
            input.pipeInput(new TestRecord<>(line.key, line.value, null, eventTime));
            events++;
            drainDeadLetters();
        }

        /** Runs every tick strictly before {@code time}: an event at ts == T is applied before the tick at T. */
        private void tickBefore(long time) {
            while (clock + Ticks.INTERVAL.toMillis() < time) {
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
            clock += Ticks.INTERVAL.toMillis();
            long fire = Ticks.fireTime(clock);
            if (fire > wallClock) {
                driver.advanceWallClockTime(Duration.ofMillis(fire - wallClock));
                wallClock = fire;
            }
            ticks++;
            while (!statsTopic.isEmpty()) {
                stats.accept(new String(statsTopic.readValue(), StandardCharsets.UTF_8));
                statsRecords++;
            }
            drainDeadLetters();
        }

        private void drainDeadLetters() {
            while (!dlqTopic.isEmpty()) {
                deadLetter.accept(describe(dlqTopic.readRecord()));
                deadLetters++;
            }
        }

        Summary finish() {
            long last = lastTs == Long.MIN_VALUE ? eventTime : lastTs;
            long end = last + tail.toMillis();
            while (clock < end) {
                tick();
            }
            return new Summary(events, deadLetters,
                    MeteringMetrics.total(driver.metrics(), MeteringMetrics.OUT_OF_ORDER_DELTAS),
                    MeteringMetrics.total(driver.metrics(), MeteringMetrics.UNKNOWN_STREAM_DELTAS),
                    ticks, statsRecords);
        }

        @Override
        public void close() {
            driver.close();
        }
    }

    private static String describe(TestRecord<byte[], byte[]> r) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("reason", header(r, DeadLetterHeaders.REASON));
            g.writeStringField("detail", header(r, DeadLetterHeaders.DETAIL));
            g.writeStringField("value", r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8));
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
     * A trace line as the replay needs it: its bytes, the key (its {@code stream_id}, when it has a string
     * one) and its {@code ts} (when it has an integer one). The topology does the real validation.
     */
    private record TraceLine(byte[] key, byte[] value, Long ts) {
        static TraceLine of(String line) {
            byte[] value = line.getBytes(StandardCharsets.UTF_8);
            try { // a valid line (nearly all): the codec's own decoder, on its fast path for the usual form
                DeltaEvent e = DeltaEventCodec.decode(value);
                return new TraceLine(e.streamId().getBytes(StandardCharsets.UTF_8), value, e.hasTs() ? e.ts() : null);
            } catch (InvalidDeltaException invalid) {
                // the topology dead-letters it; its key and ts are still read below, where it has them
            }
            String streamId = null;
            Long ts = null;
            try (JsonParser p = JSON.createParser(value)) {
                if (p.nextToken() == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String field = p.currentName();
                        JsonToken v = p.nextToken();
                        if (field.equals("stream_id") && v == JsonToken.VALUE_STRING) {
                            streamId = p.getText();
                        } else if (field.equals("ts") && v == JsonToken.VALUE_NUMBER_INT
                                && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER && p.getLongValue() >= 0) {
                            ts = p.getLongValue();
                        }
                        p.skipChildren();
                    }
                }
            } catch (IOException e) {
                // not JSON: no key, no ts; the topology dead-letters it
            }
            return new TraceLine(streamId == null ? null : streamId.getBytes(StandardCharsets.UTF_8), value, ts);
        }
    }
}
