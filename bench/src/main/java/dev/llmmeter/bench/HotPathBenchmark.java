package dev.llmmeter.bench;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.DeltaEventCodec;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.StoreNames;
import dev.llmmeter.topology.processors.MeterOutput;
import dev.llmmeter.topology.processors.MeteringMetrics;
import dev.llmmeter.topology.processors.SessionMeter;
import dev.llmmeter.topology.state.SessionsStore;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.processor.api.Record;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The per-event hot path of the metering app without a broker, on one thread: what a session task does
 * with each input record once Kafka has fetched it.
 *
 * <ul>
 *   <li>{@code decode}: the value's JSON decoded and validated ({@link DeltaEventCodec#decode}).</li>
 *   <li>{@code hotPath}: the key deserialized (Kafka's {@link StringDeserializer}), the value decoded and
 *       validated, then the real {@link SessionMeter} applying it: key check, session lookup, update and
 *       its write to the {@code sessions} store ({@link SessionsStore} over RocksDB, as in the live app), and
 *       every {@value #FLUSH_EVERY} events the store's flush that precedes a commit (the changed sessions
 *       written to RocksDB in one batch).</li>
 * </ul>
 * Each invocation replays the first {@value #EVENTS} events of the simulator's traffic (10,000 concurrent
 * streams) from a fresh processor and store, so every event takes its real path (begin, delta, end) rather
 * than the out-of-order one a second pass would take. Scores are events per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Threads(1)
@State(Scope.Thread)
public class HotPathBenchmark {
    static final int EVENTS = 500_000;
    /** Concurrent streams in the trace (and so live sessions in the task): the bench command's default. */
    @Param("10000")
    public int streams;
    /** Events between two commits, which flush the sessions store: about a second's worth at the live app's rate. */
    static final int FLUSH_EVERY = 250_000;

    private Trace trace;
    private final StringDeserializer keys = new StringDeserializer();

    @Setup(Level.Trial)
    public void loadTrace() {
        trace = new Trace(EVENTS, streams);
    }

    /** One session task: the processor and its store, fresh for each invocation (not timed). */
    @State(Scope.Thread)
    public static class Task {
        Path stateDir;
        MockProcessorContext<String, MeterOutput> context;
        SessionsStore store;
        KeyValueStore<String, Long> endings;
        SessionMeter meter;

        /**
         * A new state directory for every invocation: the RocksDB store keeps what the last invocation flushed to it,
         * and a processor initialised over those sessions would take the trace's begins for duplicates and its deltas
         * for out-of-order ones (an earlier version of this benchmark timed that path from its second invocation on).
         */
        @Setup(Level.Invocation)
        public void fresh() throws IOException {
            stateDir = Files.createTempDirectory("metering-jmh");
            Properties props = new Properties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, "metering-jmh");
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
            context = new MockProcessorContext<>(props, new TaskId(0, 0), stateDir.toFile());
            context.setCurrentSystemTimeMs(Trace.START);
            // The live app's store: the write-behind layer over RocksDB (no changelog: the mock context has no producer)
            store = SessionsStore.builder(StoreNames.SESSIONS, true).withLoggingDisabled().build();
            store.init(context.getStateStoreContext(), store);
            context.addStateStore(store);
            endings = TickBench.endingsStore(context); // the topology's stream-endings store: the real path
            meter = new SessionMeter(MeteringConfig.defaults());
            meter.init(context);
        }

        @TearDown(Level.Invocation)
        public void close() throws IOException {
            requireTheRealPath();
            meter.close();
            store.close();
            endings.close();
            org.apache.kafka.common.utils.Utils.delete(stateDir.toFile());
        }

        /**
         * Every event of the trace takes the path the live app gives it (a fresh stream's begin, its deltas in order):
         * none may have been counted as a duplicate begin, an out-of-order delta or a delta for an unknown stream.
         */
        private void requireTheRealPath() {
            context.metrics().metrics().forEach((name, metric) -> {
                boolean offPath = name.name().equals(MeteringMetrics.OUT_OF_ORDER_DELTAS + "-total")
                        || name.name().equals(MeteringMetrics.DUPLICATE_BEGINS + "-total")
                        || name.name().equals(MeteringMetrics.UNKNOWN_STREAM_DELTAS + "-total");
                if (offPath && ((Number) metric.metricValue()).doubleValue() > 0) {
                    throw new IllegalStateException("the hot path took another path: " + name.name() + " = "
                            + metric.metricValue());
                }
            });
        }
    }

    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public long decode() {
        long sum = 0;
        byte[][] values = trace.values;
        for (byte[] value : values) {
            sum += DeltaEventCodec.decode(value).running();
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public int hotPath(Task task) {
        SessionMeter meter = task.meter;
        byte[][] k = trace.keys;
        byte[][] v = trace.values;
        long[] ts = trace.timestamps;
        for (int i = 0; i < k.length; i++) {
            String key = keys.deserialize("metering.deltas", k[i]);
            DeltaEvent event = DeltaEventCodec.decode(v[i]);
            meter.process(new Record<>(key, event, ts[i]));
            if (i % FLUSH_EVERY == FLUSH_EVERY - 1) {
                task.store.flushCache(); // what a commit does first
            }
        }
        return task.context.forwarded().size();
    }
}
