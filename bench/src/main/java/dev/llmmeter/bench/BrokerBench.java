package dev.llmmeter.bench;

import dev.llmmeter.app.MeteringApp;
import dev.llmmeter.app.Settings;
import dev.llmmeter.devkit.EmbeddedKafka;
import dev.llmmeter.sim.KafkaSink;
import dev.llmmeter.sim.Pacer;
import dev.llmmeter.sim.Progress;
import dev.llmmeter.sim.SimulationConfig;
import dev.llmmeter.sim.Simulator;
import dev.llmmeter.sim.TrafficGenerator;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.processors.MeteringMetrics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The throughput benchmark on a real (embedded) broker: loads simulated delta events into a topic, then
 * times a byte-array pass-through Kafka Streams app and the metering app reading all of it from the start,
 * at least once and exactly once, repeatedly. Everything runs in this process, so the broker and the app
 * share the machine's cores, as on a small single-node deployment.
 *
 * <p>A run's clock starts when its app reaches RUNNING (or processes its first record, if that is seen
 * first) and stops when the app has processed every loaded event, read from Kafka Streams' own counters:
 * the stream threads' {@code process-total} minus the records their consumers fetched from repartition
 * topics (the metering app's partials; at most what it processed of them, so the count never runs ahead).
 * Each run has its own application id, so it reads the topic from the beginning with fresh state.
 *
 * <p>A third baseline, the ceiling of anything fed by Kafka: a plain {@link KafkaConsumer} of the same topic,
 * without a group (all partitions assigned, read from the beginning, no commits), with the fetch settings
 * Kafka Streams gives the at-least-once apps' main consumer ({@link #consumerConfig}), values discarded
 * but touched. Its clock starts once the beginning offsets are resolved and stops when it has read every
 * loaded event. It runs once per repetition (it has no processing guarantee), after the apps.
 *
 * <p>A fourth, the ceiling of any Kafka Streams app: a no-op Kafka Streams app ({@link App#NOOP}) that reads the
 * topic with the pass-through's settings and drops every record. The distance from the plain consumer to it is what
 * Kafka Streams itself costs per record; the distance from it to the metering app is what the metering costs.
 */
public final class BrokerBench {
    public static final String INPUT_TOPIC = "bench.deltas";
    static final String STATS_TOPIC = "bench.stats";
    static final String DLQ_TOPIC = "bench.dlq";
    /** The simulator's default per-stream rate. */
    static final double RATE = 30;
    /**
     * The events are historical (they are loaded before the runs and read minutes later, the broker refusing
     * timestamps more than an hour ahead), so the metering runs widen the stale window and begin expiry to a
     * day: with the defaults every session would be pruned at the first tick and later deltas would take the
     * cheap unknown-stream path, flattering the metering app.
     */
    static final String DAY_MS = String.valueOf(TimeUnit.DAYS.toMillis(1));
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** In the name of each Kafka Streams stream thread, after the client id. */
    private static final String STREAM_THREAD = "-StreamThread-";

    public enum Guarantee {
        AT_LEAST_ONCE(StreamsConfig.AT_LEAST_ONCE, "alos"),
        EXACTLY_ONCE_V2(StreamsConfig.EXACTLY_ONCE_V2, "eos");

        public final String config;
        public final String shortName;

        Guarantee(String config, String shortName) {
            this.config = config;
            this.shortName = shortName;
        }
    }

    public enum App {
        PASSTHROUGH("pass-through"),
        METERING("metering"),
        /**
         * A Kafka Streams app that reads the topic and drops every record (byte arrays, no state, no output): what
         * Kafka Streams itself costs per record, so the ceiling of any Kafka Streams app on this topic.
         */
        NOOP("no-op");

        public final String label;

        App(String label) {
            this.label = label;
        }
    }

    /**
     * @param events        how many delta events to load and read
     * @param partitions    partitions of the input topic
     * @param streams       concurrent simulated streams
     * @param repetitions   timed runs of each app under each guarantee
     * @param streamThreads {@code num.stream.threads} of both apps
     * @param seed          the simulator's seed
     * @param warmupEvents  events each app reads once under each guarantee before the timed runs (JIT, broker
     *                      caches), untimed; 0 for none
     * @param extra         Kafka settings for both apps (and metering.* ones for the metering app), over the app's defaults
     */
    public record Options(long events, int partitions, int streams, int repetitions, int streamThreads, long seed,
                          long warmupEvents, Properties extra) {
    }

    /**
     * One timed run of one app.
     *
     * @param streamThreadBusy the app's stream threads' CPU time over the run, as a share of the run's length times
     *                         the threads (1.0: never off the CPU; NaN when unknown): near 1, the app is bound by its
     *                         stream thread's own work
     * @param processCores     the whole process's CPU time over the run (broker and every client thread included) in
     *                         cores: the machine's headroom is {@link Machine#cores()} minus this
     */
    public record Run(App app, Guarantee guarantee, int repetition, long events, double seconds, double startupSeconds,
                      long peakHeapBytes, long peakRssBytes, double tickP50Ms, double tickP99Ms, long ticks,
                      double streamThreadBusy, double processCores) {
        public double eventsPerSecond() {
            return events / seconds;
        }
    }

    /**
     * One timed run of the plain consumer.
     *
     * @param startupSeconds from creating the consumer to its clock's start (metadata, beginning offsets)
     * @param valueBytes     the sum of the values' lengths read (so that the reading loop does work)
     */
    public record ConsumerRun(int repetition, long events, double seconds, double startupSeconds, long valueBytes) {
        public double eventsPerSecond() {
            return events / seconds;
        }
    }

    public record Load(long events, double seconds) {
        public double eventsPerSecond() {
            return events / seconds;
        }
    }

    /**
     * @param consumerRuns        the plain consumer's timed runs
     * @param consumerIsolation   the plain consumer's {@code isolation.level}
     */
    public record Result(Options options, Load load, List<Run> runs, List<ConsumerRun> consumerRuns,
                         String consumerIsolation, double totalSeconds) {
        public List<Run> runs(App app, Guarantee g) {
            return runs.stream().filter(r -> r.app() == app && r.guarantee() == g).toList();
        }

        public double medianEps(App app, Guarantee g) {
            return Stats.median(runs(app, g).stream().map(Run::eventsPerSecond).toList());
        }

        /** Median events/s of the plain consumer. */
        public double consumerEps() {
            return Stats.median(consumerRuns.stream().map(ConsumerRun::eventsPerSecond).toList());
        }
    }

    private final Options options;
    private final PrintWriter log;
    private final Path workDir;

    /**
     * @param workDir a fresh directory for the broker's data and the apps' state; the caller deletes it
     * @param log     progress lines (stderr)
     */
    public BrokerBench(Options options, Path workDir, PrintWriter log) {
        this.options = options;
        this.workDir = workDir;
        this.log = log;
    }

    /** Settings that Kafka Streams refuses (from --config), found before the broker starts: a one-line reason. */
    public static final class InvalidSettingsException extends RuntimeException {
        InvalidSettingsException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public Result run() throws IOException, InterruptedException {
        for (Guarantee g : Guarantee.values()) {
            Properties p = Settings.streamsDefaults(common("bench-settings-check", g, false));
            try {
                new StreamsConfig(p);
            } catch (org.apache.kafka.common.config.ConfigException | IllegalArgumentException e) {
                throw new InvalidSettingsException("Kafka Streams refuses these settings under " + g.config + ": "
                        + e.getMessage(), e);
            }
        }
        long started = System.nanoTime();
        log.println("bench: starting a Kafka broker...");
        log.flush();
        try (EmbeddedKafka broker = EmbeddedKafka.builder().dataDir(workDir.resolve("kafka")).build().start()) {
            String bootstrap = broker.bootstrapServers();
            try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
                broker.createTopic(INPUT_TOPIC, options.partitions());
                Load load = load(bootstrap);
                long warmup = Math.min(options.warmupEvents(), load.events());
                if (warmup > 0) {
                    for (Guarantee g : Guarantee.values()) {
                        passThrough(broker, admin, g, 0, warmup);
                        metering(bootstrap, g, 0, warmup);
                        noop(bootstrap, g, 0, warmup);
                    }
                    consumer(bootstrap, 0, warmup);
                }
                List<Run> runs = new ArrayList<>();
                List<ConsumerRun> consumerRuns = new ArrayList<>();
                for (int rep = 1; rep <= options.repetitions(); rep++) {
                    for (Guarantee g : Guarantee.values()) {
                        runs.add(passThrough(broker, admin, g, rep, load.events()));
                        runs.add(metering(bootstrap, g, rep, load.events()));
                        runs.add(noop(bootstrap, g, rep, load.events()));
                    }
                    consumerRuns.add(consumer(bootstrap, rep, load.events()));
                }
                String isolation = String.valueOf(consumerConfig(bootstrap, 0).get(ConsumerConfig.ISOLATION_LEVEL_CONFIG));
                return new Result(options, load, runs, consumerRuns, isolation, (System.nanoTime() - started) / 1e9);
            }
        }
    }

    /** The simulator's traffic, unpaced, starting ten minutes ago (brokers refuse timestamps over an hour ahead). */
    private Load load(String bootstrap) throws IOException {
        long start = System.currentTimeMillis() - TimeUnit.MINUTES.toMillis(10);
        // An hour of simulated time: far more than N events need, so no stream is cut by the end of the simulation.
        // The realistic fleet (several models and tenants, multi-token deltas): every output the metering app has
        // (stats, per-stream records, insights by model and tenant with their sketches) does its real work.
        SimulationConfig c = SimulationConfig.of(options.streams(), RATE, 3600, options.seed(), start).withRealisticFleet();
        TrafficGenerator generator = new TrafficGenerator(c);
        Progress progress = new Progress(log, System::nanoTime, "bench: loading");
        long t0 = System.nanoTime();
        Simulator.Result r;
        try (KafkaSink sink = new KafkaSink(bootstrap, INPUT_TOPIC, new Properties())) {
            sink.awaitTopic();
            r = new Simulator(Pacer.none(), progress, () -> progress.sent() >= options.events()).run(generator, sink);
            if (sink.acknowledged() != r.events()) {
                throw new IllegalStateException("only " + sink.acknowledged() + " of " + r.events() + " events acknowledged");
            }
        }
        Load load = new Load(r.events(), (System.nanoTime() - t0) / 1e9);
        log.printf(Locale.ROOT, "bench: loaded %,d events (%,d streams begun, %,d ended) into %s (%d partitions) in %.1f s (%,.0f events/s)%n",
                load.events(), generator.streamsBegun(), generator.streamsEnded(), INPUT_TOPIC, options.partitions(),
                load.seconds(), load.eventsPerSecond());
        log.flush();
        return load;
    }

    private Properties common(String appId, Guarantee g, boolean metering) {
        Properties p = new Properties();
        options.extra().forEach((k, v) -> {
            if (metering || !k.toString().startsWith(MeteringConfig.PREFIX)) {
                p.put(k, v);
            }
        });
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unset");
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.STATE_DIR_CONFIG, workDir.resolve("state").resolve(appId).toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, g.config);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, String.valueOf(options.streamThreads()));
        // Every app here has tasks of one input partition, where task idling has nothing to wait for: the metering
        // topology turns it off itself (MeteringTopology.streamsProperties), so the baselines get the same, and the
        // ratios compare the apps' work, not their settings.
        p.putIfAbsent(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, String.valueOf(StreamsConfig.MAX_TASK_IDLE_MS_DISABLED));
        return p;
    }

    private Run passThrough(EmbeddedKafka broker, Admin admin, Guarantee g, int rep, long events) throws InterruptedException {
        String appId = "bench-passthrough-" + g.shortName + "-" + rep;
        String sink = "bench.passthrough." + g.shortName + "." + rep;
        broker.createTopic(sink, options.partitions());
        StreamsBuilder b = new StreamsBuilder();
        b.stream(INPUT_TOPIC, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .to(sink, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        try {
            return plainApp(App.PASSTHROUGH, b, broker.bootstrapServers(), appId, g, rep, events);
        } finally {
            admin.deleteTopics(List.of(sink)); // the copy is 100+ MB; no need to wait
        }
    }

    /** The no-op app ({@link App#NOOP}): the pass-through's source and settings, a processor that drops each record, no sink. */
    private Run noop(String bootstrap, Guarantee g, int rep, long events) throws InterruptedException {
        StreamsBuilder b = new StreamsBuilder();
        b.stream(INPUT_TOPIC, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())).process(Drop::new);
        return plainApp(App.NOOP, b, bootstrap, "bench-noop-" + g.shortName + "-" + rep, g, rep, events);
    }

    /** One timed run of a baseline Kafka Streams app built on {@code b}, with the metering app's defaults and byte arrays. */
    private Run plainApp(App app, StreamsBuilder b, String bootstrap, String appId, Guarantee g, int rep, long events)
            throws InterruptedException {
        Properties p = Settings.streamsDefaults(common(appId, g, false));
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class.getName());
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class.getName());
        KafkaStreams streams = new KafkaStreams(b.build(), p);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        streams.setUncaughtExceptionHandler(e -> {
            failure.set(e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        try {
            long t0 = System.nanoTime();
            streams.start();
            return measure(app, appId, g, rep, events, streams, failure::get, t0);
        } finally {
            streams.close(Duration.ofSeconds(30));
            deleteQuietly(workDir.resolve("state").resolve(appId));
        }
    }

    /** Drops every record: the no-op app's only processor. */
    private static final class Drop implements Processor<byte[], byte[], Void, Void> {
        @Override
        public void process(Record<byte[], byte[]> record) {
        }
    }

    private Run metering(String bootstrap, Guarantee g, int rep, long events) throws InterruptedException {
        String appId = "bench-metering-" + g.shortName + "-" + rep;
        Properties s = common(appId, g, true);
        s.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        s.put(MeteringConfig.DELTAS_TOPIC, INPUT_TOPIC);
        s.put(MeteringConfig.STATS_TOPIC, STATS_TOPIC);
        s.put(MeteringConfig.DLQ_TOPIC, DLQ_TOPIC);
        s.put(Settings.DELTAS_PARTITIONS, String.valueOf(options.partitions()));
        s.put(MeteringConfig.STALE_MS, DAY_MS);
        s.put(MeteringConfig.BEGIN_EXPIRY_MS, DAY_MS);
        MeteringApp app = new MeteringApp(s);
        try {
            app.start(); // checks the cluster and creates the stats and dead-letter topics: before the clock starts
            long t0 = System.nanoTime();
            return measure(App.METERING, appId, g, rep, events, app.streams(), app::failure, t0);
        } finally {
            app.close();
            deleteQuietly(workDir.resolve("state").resolve(appId));
        }
    }

    /** Group settings of Kafka Streams' main consumer, which a consumer without a group must not have. */
    private static final Set<String> GROUP_ONLY = Set.of(ConsumerConfig.GROUP_ID_CONFIG,
            ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, ConsumerConfig.GROUP_PROTOCOL_CONFIG,
            ConsumerConfig.GROUP_REMOTE_ASSIGNOR_CONFIG, ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
            ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
            ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG);

    /**
     * The plain consumer's settings: what Kafka Streams gives the main consumer of the at-least-once
     * pass-through app (the apps' defaults and --config; with the defaults, over Kafka's consumer defaults:
     * {@code max.poll.records=1000}, {@code isolation.level=read_committed}, {@code enable.auto.commit=false},
     * {@code auto.offset.reset=earliest}; fetch sizes and waits are Kafka's), less the group settings and
     * Streams' own keys that a consumer does not know.
     */
    private Map<String, Object> consumerConfig(String bootstrap, int rep) {
        Properties p = Settings.streamsDefaults(common("bench-consumer-" + rep, Guarantee.AT_LEAST_ONCE, false));
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        String clientId = "bench-consumer-" + rep;
        Map<String, Object> c = new java.util.HashMap<>(new StreamsConfig(p).getMainConsumerConfigs(clientId, clientId, 0));
        c.keySet().retainAll(ConsumerConfig.configNames());
        c.keySet().removeAll(GROUP_ONLY);
        c.values().removeIf(java.util.Objects::isNull);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return c;
    }

    private ConsumerRun consumer(String bootstrap, int rep, long events) {
        long t0 = System.nanoTime();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig(bootstrap, rep),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(INPUT_TOPIC, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(info.topic(), info.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            for (TopicPartition tp : partitions) {
                consumer.position(tp, Duration.ofSeconds(30)); // resolves the beginning now, before the clock
            }
            long clockStart = System.nanoTime();
            long deadline = clockStart + TimeUnit.SECONDS.toNanos(120 + events / 20_000);
            long read = 0;
            long bytes = 0;
            while (read < events) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    byte[] v = r.value();
                    bytes += v == null ? 0 : v.length;
                    read++;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("plain consumer read only " + read + " of " + events + " events in "
                            + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - clockStart) + " s");
                }
            }
            long end = System.nanoTime();
            ConsumerRun r = new ConsumerRun(rep, read, (end - clockStart) / 1e9, (clockStart - t0) / 1e9, bytes);
            log.printf(Locale.ROOT, "bench: %-7s %-15s %-12s %,d events in %.2f s = %,.0f events/s (startup %.1f s); %,.1f MB of values%n",
                    rep == 0 ? "warm-up" : rep + "/" + options.repetitions(), "no group", "consumer", r.events(),
                    r.seconds(), r.eventsPerSecond(), r.startupSeconds(), bytes / 1e6);
            log.flush();
            return r;
        }
    }

    private Run measure(App app, String appId, Guarantee g, int rep, long events, KafkaStreams streams,
                        java.util.function.Supplier<Throwable> failure, long startedNanos) throws InterruptedException {
        Counters counters = new Counters(streams);
        long deadline = startedNanos + TimeUnit.SECONDS.toNanos(120 + events / 20_000);
        long clockStart = -1;
        long threadCpuStart = 0;
        long processCpuStart = 0;
        long end;
        long peakHeap = 0;
        long peakRss = 0;
        long polls = 0;
        while (true) {
            KafkaStreams.State state = streams.state();
            if (failure.get() != null || state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR
                    || state == KafkaStreams.State.NOT_RUNNING) {
                throw new IllegalStateException(app.label + " app stopped (" + state + ")", failure.get());
            }
            long processed = counters.processedInputs();
            long now = System.nanoTime();
            if (clockStart < 0 && (state == KafkaStreams.State.RUNNING || processed > 0)) {
                clockStart = now;
                threadCpuStart = Machine.threadCpuNanos(appId + "-", STREAM_THREAD);
                processCpuStart = Machine.processCpuNanos();
            }
            if (processed >= events) {
                end = now;
                break;
            }
            if (now > deadline) {
                throw new IllegalStateException(app.label + " app processed only " + processed + " of " + events
                        + " events in " + TimeUnit.NANOSECONDS.toSeconds(now - startedNanos) + " s");
            }
            peakHeap = Math.max(peakHeap, Machine.heapUsed());
            if (polls++ % 50 == 0) {
                peakRss = Math.max(peakRss, Machine.rss());
            }
            java.util.concurrent.locks.LockSupport.parkNanos(POLL_NANOS);
        }
        double seconds = (end - clockStart) / 1e9;
        double threadBusy = (Machine.threadCpuNanos(appId + "-", STREAM_THREAD) - threadCpuStart) / 1e9
                / (seconds * options.streamThreads());
        long processCpu = Machine.processCpuNanos();
        double processCores = processCpu < 0 ? Double.NaN : (processCpu - processCpuStart) / 1e9 / seconds;
        peakHeap = Math.max(peakHeap, Machine.heapUsed());
        peakRss = Math.max(peakRss, Machine.rss());
        double[] tick = app == App.METERING ? tickLatency(streams) : new double[] {Double.NaN, Double.NaN, 0};
        Run r = new Run(app, g, rep, events, seconds, (clockStart - startedNanos) / 1e9,
                peakHeap, peakRss, tick[0], tick[1], (long) tick[2], threadBusy, processCores);
        double[] commits = commits(streams);
        log.printf(Locale.ROOT, "bench: %-7s %-15s %-12s %,d events in %.2f s = %,.0f events/s (startup %.1f s); stream thread "
                        + "busy %.0f%%, process %.2f cores%s; %.0f commits, avg %.1f ms, max %.1f ms (%.2f s in commits)%n",
                rep == 0 ? "warm-up" : rep + "/" + options.repetitions(), g.config, app.label, events, r.seconds(), r.eventsPerSecond(), r.startupSeconds(),
                100 * r.streamThreadBusy(), r.processCores(),
                app == App.METERING ? String.format(Locale.ROOT, "; tick p50 %.2f ms, p99 %.2f ms over %d ticks",
                        r.tickP50Ms(), r.tickP99Ms(), r.ticks()) : "",
                commits[0], commits[1], commits[2], commits[0] * commits[1] / 1000);
        log.flush();
        return r;
    }

    /**
     * The stream threads' commits since start (Kafka Streams' {@code commit-total}) and their latency avg and max in
     * ms (over its metrics window, 30 s by default: longer than a run): under exactly-once each is a transaction, and
     * the thread waits for it; where an app's time goes that its processing does not explain.
     */
    private static double[] commits(KafkaStreams streams) {
        double total = 0;
        double avg = 0;
        double max = 0;
        for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
            MetricName n = e.getKey();
            if (!n.group().equals("stream-thread-metrics") || !(e.getValue().metricValue() instanceof Number value)) {
                continue; // thread-state and the like are strings
            }
            double v = value.doubleValue();
            if (Double.isNaN(v)) {
                continue;
            }
            switch (n.name()) {
                case "commit-total" -> total += v;
                case "commit-latency-avg" -> avg = Math.max(avg, v); // one thread in the bench by default
                case "commit-latency-max" -> max = Math.max(max, v);
                default -> {
                }
            }
        }
        return new double[] {total, avg, max};
    }

    /** Median over the session tasks of their tick p50, max of their p99, and how many ticks they ran in all. */
    private static double[] tickLatency(KafkaStreams streams) {
        Map<String, Double> p50 = new java.util.TreeMap<>();
        Map<String, Double> p99 = new java.util.TreeMap<>();
        long ticks = 0;
        for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
            MetricName n = e.getKey();
            if (!n.group().equals(MeteringMetrics.GROUP)) {
                continue;
            }
            String task = n.tags().get(MeteringMetrics.SCOPE + "-id");
            double v = ((Number) e.getValue().metricValue()).doubleValue();
            switch (n.name()) {
                case MeteringMetrics.TICK_LATENCY_P50 -> p50.put(task, v);
                case MeteringMetrics.TICK_LATENCY_P99 -> p99.put(task, v);
                case MeteringMetrics.TICK + "-total" -> ticks += (long) v;
                default -> {
                }
            }
        }
        double max99 = p99.values().stream().mapToDouble(Double::doubleValue).filter(x -> !Double.isNaN(x))
                .max().orElse(Double.NaN); // NaN: a task that has not ticked yet
        return new double[] {Stats.median(p50.values()), max99, ticks};
    }

    /** Kafka Streams' counters for one app, the metric objects looked up again now and then (new ones appear as clients fetch). */
    private static final class Counters {
        private final KafkaStreams streams;
        private List<Metric> processTotals = List.of();
        private List<Metric> repartitionFetched = List.of();
        private long lookedUp;

        Counters(KafkaStreams streams) {
            this.streams = streams;
        }

        long processedInputs() {
            long now = System.nanoTime();
            if (now - lookedUp > TimeUnit.MILLISECONDS.toNanos(250)) {
                lookUp();
                lookedUp = now;
            }
            return (long) (sum(processTotals) - sum(repartitionFetched));
        }

        private void lookUp() {
            List<Metric> process = new ArrayList<>();
            List<Metric> repartition = new ArrayList<>();
            for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
                MetricName n = e.getKey();
                if (n.group().equals("stream-thread-metrics") && n.name().equals("process-total")) {
                    process.add(e.getValue());
                } else if (n.group().equals("consumer-fetch-manager-metrics") && n.name().equals("records-consumed-total")
                        && n.tags().getOrDefault("topic", "").endsWith("-repartition")) {
                    repartition.add(e.getValue());
                }
            }
            processTotals = process;
            repartitionFetched = repartition;
        }

        private static double sum(List<Metric> metrics) {
            double s = 0;
            for (Metric m : metrics) {
                s += ((Number) m.metricValue()).doubleValue();
            }
            return s;
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            Utils.delete(dir.toFile());
        } catch (IOException e) {
            // the whole work dir goes at the end
        }
    }
}
