package dev.llmmeter.bench;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.StoreNames;
import dev.llmmeter.topology.Ticks;
import dev.llmmeter.topology.processors.MeterOutput;
import dev.llmmeter.topology.processors.SessionMeter;
import dev.llmmeter.topology.state.Partial;
import dev.llmmeter.topology.state.SessionsStore;
import dev.llmmeter.topology.state.SessionSerde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.Punctuator;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * One tick's cost with many live sessions in a single task: the real {@link SessionMeter} over a RocksDB
 * {@code sessions} store (no changelog: {@link MockProcessorContext} has no collector; a tick that prunes
 * nothing writes nothing anyway), driven directly, its punctuation timed with {@link System#nanoTime()}.
 * Between two ticks a share of the sessions gets a delta, so the ticks see sessions changing as in the live
 * app, and every session stays live (recent deltas: nothing is pruned).
 */
public final class TickBench {
    /**
     * A per-task cap on live sessions ({@code MeteringConfig}, default 200,000) that builds from the lead's
     * session-cap change have; a bench with more sessions must raise it. Looked up in
     * {@link MeteringConfig#DEFAULTS} at run time, so this code compiles and runs with and without it.
     */
    public static final String MAX_SESSIONS_PER_TASK = "metering.max.sessions.per.task";

    /** Ticks run before timing, for the JIT. */
    static final int WARMUP_TICKS = 100;

    /**
     * @param sessions        live sessions in the task
     * @param ticks           timed ticks
     * @param deltasPerTick   deltas applied between two ticks
     */
    public record Options(int sessions, int ticks, int deltasPerTick) {
    }

    /**
     * @param storeValueBytes  bytes of one session's value in the {@code sessions} store (and its changelog)
     * @param heapBytesPerSession heap held per live session: heap in use after full GCs, after filling the task
     *                            minus before, over the sessions (the processor's in-memory mirror: map entry,
     *                            key string, session; the RocksDB store itself is off-heap)
     * @param sessionCap          the per-task session cap the run set ({@link #MAX_SESSIONS_PER_TASK}), -1 for none
     */
    public record Result(Options options, double[] tickMs, double[] tickCpuMs, int storeValueBytes,
                         double heapBytesPerSession, long sessionCap, double seconds) {
        /** Of the ticks' wall-clock durations. */
        public double quantile(double q) {
            return Stats.quantile(Stats.sorted(tickMs), q);
        }

        /** Of the CPU time the ticks' thread spent in them (NaN where the JVM cannot tell). */
        public double cpuQuantile(double q) {
            return tickCpuMs == null ? Double.NaN : Stats.quantile(Stats.sorted(tickCpuMs), q);
        }
    }

    /**
     * Lets one task hold {@code sessions} live sessions: puts {@link #MAX_SESSIONS_PER_TASK} into
     * {@code settings} (at least {@code sessions + 1}, never below its default), but only when this build's
     * {@link MeteringConfig} knows the key (it rejects unknown {@code metering.*} keys).
     *
     * @return the cap now in the settings, or -1 when this build has none
     */
    public static long allowSessions(Map<Object, Object> settings, int sessions) {
        String cap = MeteringConfig.DEFAULTS.get(MAX_SESSIONS_PER_TASK);
        if (cap == null) {
            return -1;
        }
        long raised = Math.max(Long.parseLong(cap.trim()), sessions + 1L);
        settings.put(MAX_SESSIONS_PER_TASK, String.valueOf(raised));
        return raised;
    }

    private final Options options;
    private final Path stateDir;
    private final PrintWriter log;

    public TickBench(Options options, Path stateDir, PrintWriter log) {
        this.options = options;
        this.stateDir = stateDir;
        this.log = log;
    }

    public Result run() {
        long started = System.nanoTime();
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "metering-tick-bench");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        MockProcessorContext<String, MeterOutput> context = new MockProcessorContext<>(props,
                new org.apache.kafka.streams.processor.TaskId(0, 0), stateDir.toFile());
        KeyValueStore<String, SessionsStore.Entry> store = Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(StoreNames.SESSIONS), Serdes.String(), new SessionSerde())
                .withLoggingDisabled().withCachingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        KeyValueStore<String, Long> endings = endingsStore(context);
        Properties settings = new Properties();
        long cap = allowSessions(settings, options.sessions());
        MeteringConfig config = dev.llmmeter.app.Settings.of(settings).metering();
        SessionMeter meter = new SessionMeter(config);

        long now = Ticks.tickOf(System.currentTimeMillis());
        context.setCurrentSystemTimeMs(now);
        meter.init(context);
        Punctuator tick = context.scheduledPunctuators().get(0).getPunctuator();

        int n = options.sessions();
        String[] ids = new String[n];
        long[] running = new long[n];
        long heapBefore = Machine.heapUsedAfterGc();
        for (int i = 0; i < n; i++) {
            ids[i] = "bench-stream-" + i;
            long t = now - 5_000 + (i % 1000);
            process(meter, DeltaEvent.begin(ids[i], t));
            process(meter, DeltaEvent.output(ids[i], t + 200, ++running[i]));
            process(meter, DeltaEvent.output(ids[i], t + 230, ++running[i]));
        }
        double heapPerSession = (Machine.heapUsedAfterGc() - heapBefore) / (double) n;
        int valueBytes = new SessionSerde().serialize("", store.get(ids[n - 1])).length; // the last begun, as stored

        int total = WARMUP_TICKS + options.ticks();
        double[] timed = new double[options.ticks()];
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        boolean cpu = threads.isCurrentThreadCpuTimeSupported();
        double[] timedCpu = cpu ? new double[options.ticks()] : null;
        int next = 0;
        for (int k = 1; k <= total; k++) {
            long tickTime = now + k * 1000L;
            // deltas during the second before this tick, round-robin over the sessions
            for (int d = 0; d < options.deltasPerTick(); d++) {
                int i = next;
                next = next + 1 == n ? 0 : next + 1;
                long ts = tickTime - 1000 + (long) d * 1000 / options.deltasPerTick();
                process(meter, DeltaEvent.output(ids[i], ts, ++running[i]));
            }
            context.setCurrentSystemTimeMs(tickTime);
            long c0 = cpu ? threads.getCurrentThreadCpuTime() : 0;
            long t0 = System.nanoTime();
            tick.punctuate(tickTime);
            long dt = System.nanoTime() - t0;
            long dc = cpu ? threads.getCurrentThreadCpuTime() - c0 : 0;
            if (k > WARMUP_TICKS) {
                timed[k - WARMUP_TICKS - 1] = dt / 1e6;
                if (cpu) {
                    timedCpu[k - WARMUP_TICKS - 1] = dc / 1e6;
                }
            }
            context.resetForwards();
            if (log != null && k % 100 == 0) {
                log.printf(Locale.ROOT, "\rbench: tick %d of %d", k, total);
                log.flush();
            }
        }
        if (log != null) {
            log.println();
        }
        Partial last = lastPartialCheck(meter, context, now + (total + 1) * 1000L);
        if (last.active() != n) {
            throw new IllegalStateException("expected " + n + " live sessions, the tick reported " + last.active());
        }
        meter.close();
        store.close();
        endings.close();
        return new Result(options, timed, timedCpu, valueBytes, heapPerSession, cap, (System.nanoTime() - started) / 1e9);
    }

    /**
     * The topology's {@code stream-endings} store (stream id -> when its final record went out), as the replay
     * builds it: in memory, no changelog. The meter needs it (it writes each end, stale prune and tombstone to it, as
     * the live app does).
     */
    static KeyValueStore<String, Long> endingsStore(MockProcessorContext<?, ?> context) {
        KeyValueStore<String, Long> endings = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(StoreNames.STREAM_ENDINGS), Serdes.String(), Serdes.Long())
                .withLoggingDisabled().withCachingDisabled().build();
        endings.init(context.getStateStoreContext(), endings);
        context.addStateStore(endings);
        return endings;
    }

    private static Partial lastPartialCheck(SessionMeter meter, MockProcessorContext<String, MeterOutput> context, long time) {
        context.resetForwards();
        context.setCurrentSystemTimeMs(time);
        context.scheduledPunctuators().get(0).getPunctuator().punctuate(time);
        if (context.forwarded().get(0).record().value() instanceof MeterOutput.TaskPartial tp) {
            return tp.partial(); // a tick forwards its partial first
        }
        throw new IllegalStateException("the tick forwarded no partial first: " + context.forwarded());
    }

    private static void process(SessionMeter meter, DeltaEvent e) {
        meter.process(new Record<>(e.streamId(), e, e.ts()));
    }
}
