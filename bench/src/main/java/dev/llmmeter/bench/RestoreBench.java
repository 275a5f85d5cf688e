package dev.llmmeter.bench;

import dev.llmmeter.app.Settings;
import dev.llmmeter.app.TopicSetup;
import dev.llmmeter.devkit.EmbeddedKafka;
import dev.llmmeter.contract.EventType;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.MeteringTopology;
import dev.llmmeter.topology.StoreNames;
import dev.llmmeter.topology.processors.MeteringMetrics;
import dev.llmmeter.topology.state.Session;
import dev.llmmeter.topology.state.SessionSerde;
import dev.llmmeter.topology.state.SessionsStore;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.processor.StateRestoreListener;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * How long the metering app takes to restore N sessions from the {@code sessions} changelog: the part of a
 * failover (a task moving to another instance, or a restart without local state) that grows with the
 * sessions a task holds.
 *
 * <p>Starts the embedded broker, writes N session records straight into the changelog topic
 * ({@code <application.id>-sessions-changelog}, one partition; keys are stream ids as UTF-8, values
 * {@link SessionSerde}'s binary form: what the app itself writes there), then starts the real topology
 * ({@link MeteringTopology#build}, one input partition, a fresh state directory, the app's Kafka Streams
 * settings: exactly-once by default) and times, from {@link KafkaStreams#start()}: the restore of the
 * {@code sessions} store (a {@link StateRestoreListener}, from onRestoreStart to onRestoreEnd), RUNNING, the
 * restored task's first tick (its {@code tick-total} metric) and the first stats record on the stats topic
 * (the app's output resumed; it must count all N sessions active, or the run fails).
 */
public final class RestoreBench {
    static final String APP_ID = "bench-restore";
    static final String DELTAS_TOPIC = "bench.restore.deltas";
    static final String STATS_TOPIC = "bench.restore.stats";
    static final String DLQ_TOPIC = "bench.restore.dlq";
    /** The Kafka Streams name of the sessions store's changelog (see {@link StoreNames#SESSIONS}). */
    static final String CHANGELOG_TOPIC = APP_ID + "-" + StoreNames.SESSIONS + "-changelog";
    /** The restored session task: the only one reading the (single) input partition. */
    static final String SESSION_TASK = "0_0";

    public record Options(int sessions) {
    }

    /**
     * Times in seconds from {@link KafkaStreams#start()} unless said otherwise.
     *
     * @param fillSeconds              writing the changelog (not part of the restore)
     * @param changelogBytes           the changelog partition's size on the broker's disk (record batches)
     * @param restored                 records restored into the sessions store (onRestoreEnd)
     * @param restoreStart             start to onRestoreStart of the sessions store
     * @param restoreSeconds           onRestoreStart to onRestoreEnd
     * @param processorInit            start to the session processor's init (its metrics appear; it registers
     *                                 them before it rebuilds its in-memory mirror from the restored store); -1 if
     *                                 not seen
     * @param running                  start to the first RUNNING
     * @param firstTick                start to the restored task's first tick seen (its metric); -1 if not seen
     * @param firstTickMs              that tick's duration (the task's {@code tick-latency-max} right after it)
     * @param firstStats               start to the first stats record read from the stats topic (read_committed)
     * @param firstStatsActive         that record's {@code active}
     * @param heapBytesPerSession      heap in use after full GCs once the restored task has ticked, minus before
     *                                 start, over the sessions: the whole app (mirror, Kafka Streams' own fixed
     *                                 overhead); the broker shares the heap, so it is approximate
     * @param sessionCap               the per-task session cap the app was given, -1 for none in this build
     */
    public record Result(Options options, String guarantee, double fillSeconds, long changelogBytes, long restored,
                         double restoreStart, double restoreSeconds, double processorInit, double running, double firstTick, double firstTickMs,
                         double firstStats, long firstStatsActive, double heapBytesPerSession, long sessionCap,
                         double totalSeconds) {
        /** Start to onRestoreEnd of the sessions store. */
        public double restoreEnd() {
            return restoreStart + restoreSeconds;
        }

        public double recordsPerSecond() {
            return restored / restoreSeconds;
        }

        public double megabytesPerSecond() {
            return changelogBytes / 1e6 / restoreSeconds;
        }
    }

    private final Options options;
    private final Path workDir;
    private final PrintWriter log;

    /**
     * @param workDir a fresh directory for the broker's data and the app's state; the caller deletes it
     * @param log     progress lines (stderr)
     */
    public RestoreBench(Options options, Path workDir, PrintWriter log) {
        this.options = options;
        this.workDir = workDir;
        this.log = log;
    }

    public Result run() throws InterruptedException {
        long started = System.nanoTime();
        log.println("bench: starting a Kafka broker for the restore...");
        log.flush();
        try (EmbeddedKafka broker = EmbeddedKafka.builder().dataDir(workDir.resolve("kafka-restore")).build().start();
             Admin admin = Admin.create(broker.clientConfig())) {
            Properties settings = new Properties();
            settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            settings.put(StreamsConfig.APPLICATION_ID_CONFIG, APP_ID);
            settings.put(StreamsConfig.STATE_DIR_CONFIG, workDir.resolve("state-restore").toString());
            settings.put(MeteringConfig.DELTAS_TOPIC, DELTAS_TOPIC);
            settings.put(MeteringConfig.STATS_TOPIC, STATS_TOPIC);
            settings.put(MeteringConfig.DLQ_TOPIC, DLQ_TOPIC);
            settings.put(Settings.DELTAS_PARTITIONS, "1");
            // The sessions' last deltas are seconds old when written and the restore of a million takes a while:
            // no session may be pruned before the first tick has counted them all.
            settings.put(MeteringConfig.STALE_MS, BrokerBench.DAY_MS);
            settings.put(MeteringConfig.BEGIN_EXPIRY_MS, BrokerBench.DAY_MS);
            long cap = TickBench.allowSessions(settings, options.sessions());
            Settings layered = Settings.of(settings);
            MeteringConfig config = layered.metering();
            Properties streamsProps = layered.streams();
            String guarantee = streamsProps.getProperty(StreamsConfig.PROCESSING_GUARANTEE_CONFIG);

            TopicSetup.ensure(admin, layered, 30_000);
            createChangelog(admin);
            double fillSeconds = fill(broker.bootstrapServers());
            long changelogBytes = changelogBytes(admin);
            log.printf(Locale.ROOT, "bench: wrote %,d sessions to %s (%.1f MB on the broker) in %.1f s%n",
                    options.sessions(), CHANGELOG_TOPIC, changelogBytes / 1e6, fillSeconds);
            log.flush();
            return restore(broker.bootstrapServers(), config, streamsProps, guarantee, fillSeconds, changelogBytes, cap,
                    started);
        }
    }

    /** One partition, compacted: what Kafka Streams would create (it finds this one and checks its partitions). */
    private static void createChangelog(Admin admin) {
        NewTopic t = new NewTopic(CHANGELOG_TOPIC, 1, (short) 1)
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        try {
            admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create " + CHANGELOG_TOPIC + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating " + CHANGELOG_TOPIC, e);
        }
    }

    /**
     * N sessions as the live app would have them: begun a few seconds ago, two output deltas each (so each
     * has a reading), keyed {@code bench-stream-<i>}, numbered in the order of their begins (the i-th is the task's
     * i-th begin and live in that place).
     */
    private double fill(String bootstrap) {
        Map<String, Object> p = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.LINGER_MS_CONFIG, 20,
                ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024,
                ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
        SessionSerde serde = new SessionSerde();
        long now = System.currentTimeMillis();
        AtomicReference<Exception> failed = new AtomicReference<>();
        long t0 = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < options.sessions() && failed.get() == null; i++) {
                long begin = now - 5_000 + (i % 1000);
                Session s = Session.begun(begin, begin);
                s.applyDelta(EventType.OUTPUT, 1, begin + 200, begin + 200);
                s.applyDelta(EventType.OUTPUT, 2, begin + 230, begin + 230);
                byte[] key = ("bench-stream-" + i).getBytes(StandardCharsets.UTF_8);
                // Numbered by the task, as the live app stores every session: an unnumbered one is a session stored
                // before numbers existed, which a restore numbers and writes again (a million of them in the first commit)
                SessionsStore.Entry entry = new SessionsStore.Entry(s, i, i);
                producer.send(new ProducerRecord<>(CHANGELOG_TOPIC, 0, now, key, serde.serialize(CHANGELOG_TOPIC, entry)),
                        (md, e) -> {
                            if (e != null) {
                                failed.compareAndSet(null, e);
                            }
                        });
                if (i % 100_000 == 99_999) {
                    log.printf(Locale.ROOT, "\rbench: writing the changelog, %,d of %,d", i + 1, options.sessions());
                    log.flush();
                }
            }
            producer.flush();
        }
        if (options.sessions() >= 100_000) {
            log.println();
        }
        if (failed.get() != null) {
            throw new IllegalStateException("cannot write the changelog: " + failed.get().getMessage(), failed.get());
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /** The changelog partition's size in the broker's log directory, bytes. */
    private static long changelogBytes(Admin admin) {
        TopicPartition tp = new TopicPartition(CHANGELOG_TOPIC, 0);
        try {
            List<Integer> brokers = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).stream()
                    .map(org.apache.kafka.common.Node::id).toList();
            long bytes = 0;
            for (Map<String, LogDirDescription> dirs : admin.describeLogDirs(brokers).allDescriptions()
                    .get(30, TimeUnit.SECONDS).values()) {
                for (LogDirDescription d : dirs.values()) {
                    ReplicaInfo r = d.replicaInfos().get(tp);
                    if (r != null) {
                        bytes += r.size();
                    }
                }
            }
            return bytes;
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot describe the broker's log dirs: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing the broker's log dirs", e);
        }
    }

    private Result restore(String bootstrap, MeteringConfig config, Properties streamsProps, String guarantee,
                           double fillSeconds, long changelogBytes, long cap, long started) throws InterruptedException {
        AtomicLong restoreStart = new AtomicLong(-1);
        AtomicLong restoreEnd = new AtomicLong(-1);
        AtomicLong restored = new AtomicLong(-1);
        AtomicLong running = new AtomicLong(-1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        KafkaStreams streams = new KafkaStreams(MeteringTopology.build(config, 1), streamsProps);
        streams.setGlobalStateRestoreListener(new StateRestoreListener() {
            @Override
            public void onRestoreStart(TopicPartition tp, String store, long startingOffset, long endingOffset) {
                if (store.equals(StoreNames.SESSIONS)) {
                    restoreStart.compareAndSet(-1, System.nanoTime());
                }
            }

            @Override
            public void onBatchRestored(TopicPartition tp, String store, long batchEndOffset, long numRestored) {
            }

            @Override
            public void onRestoreEnd(TopicPartition tp, String store, long totalRestored) {
                if (store.equals(StoreNames.SESSIONS)) {
                    restored.set(totalRestored);
                    restoreEnd.compareAndSet(-1, System.nanoTime());
                }
            }
        });
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.RUNNING) {
                running.compareAndSet(-1, System.nanoTime());
            }
        });
        streams.setUncaughtExceptionHandler(e -> {
            failure.compareAndSet(null, e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        Map<String, Object> c = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<byte[], byte[]> stats = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition statsPartition = new TopicPartition(STATS_TOPIC, 0);
            stats.assign(List.of(statsPartition));
            stats.seekToBeginning(List.of(statsPartition));
            stats.position(statsPartition); // connect now, not on the clock

            long heapBefore = Machine.heapUsedAfterGc();
            log.printf(Locale.ROOT, "bench: starting the metering app (%s) to restore %,d sessions...%n", guarantee,
                    options.sessions());
            log.flush();
            long t0 = System.nanoTime();
            streams.start();
            long deadline = t0 + TimeUnit.SECONDS.toNanos(120 + options.sessions() / 2_000);
            Metric tickTotal = null;
            long processorInit = -1;
            long firstTick = -1;
            double firstTickMs = Double.NaN;
            long firstStats = -1;
            long active = -1;
            while (firstStats < 0) {
                KafkaStreams.State state = streams.state();
                if (failure.get() != null || state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR
                        || state == KafkaStreams.State.NOT_RUNNING || state == KafkaStreams.State.PENDING_SHUTDOWN) {
                    throw new IllegalStateException("metering app stopped during the restore bench (" + state + ")",
                            failure.get());
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(String.format(Locale.ROOT,
                            "no stats record within %d s of start (restored: %s, running: %s, first tick: %s)",
                            TimeUnit.NANOSECONDS.toSeconds(deadline - t0), restoreEnd.get() >= 0, running.get() >= 0,
                            firstTick >= 0));
                }
                if (restoreEnd.get() < 0) {
                    Thread.sleep(10);
                    continue;
                }
                if (firstTick < 0) {
                    if (tickTotal == null) {
                        tickTotal = sessionTaskMetric(streams, MeteringMetrics.TICK + "-total");
                        if (tickTotal != null) {
                            processorInit = System.nanoTime();
                        }
                    }
                    if (tickTotal != null && ((Number) tickTotal.metricValue()).doubleValue() >= 1) {
                        firstTick = System.nanoTime();
                        Metric max = sessionTaskMetric(streams, MeteringMetrics.TICK + "-latency-max");
                        firstTickMs = max == null ? Double.NaN : ((Number) max.metricValue()).doubleValue();
                    }
                }
                for (ConsumerRecord<byte[], byte[]> r : stats.poll(Duration.ofMillis(5))) {
                    Stats s = Topics.STATS.deserializeValue(r.value());
                    if (firstStats < 0) {
                        firstStats = System.nanoTime();
                        active = s.active();
                    }
                }
            }
            // The first stats can come before the client's own RUNNING transition reaches the listener (the tasks
            // process while the state updater finishes): wait for it, bounded, so the figure is never missing.
            long runningDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (running.get() < 0 && System.nanoTime() < runningDeadline && failure.get() == null) {
                Thread.onSpinWait();
                stats.poll(Duration.ofMillis(5));
            }
            if (restored.get() != options.sessions() || active != options.sessions()) {
                throw new IllegalStateException(String.format(Locale.ROOT,
                        "wrote %,d sessions, restored %,d, the first stats count %,d active", options.sessions(),
                        restored.get(), active));
            }
            long heapAfter = Machine.heapUsedAfterGc();
            Result r = new Result(options, guarantee, fillSeconds, changelogBytes, restored.get(),
                    seconds(restoreStart.get(), t0), (restoreEnd.get() - restoreStart.get()) / 1e9,
                    seconds(processorInit, t0), seconds(running.get(), t0), seconds(firstTick, t0), firstTickMs, seconds(firstStats, t0), active,
                    (heapAfter - heapBefore) / (double) options.sessions(), cap, (System.nanoTime() - started) / 1e9);
            log.printf(Locale.ROOT, "bench: restored %,d sessions in %.2f s (%,.0f records/s); RUNNING after %.2f s, "
                            + "first stats after %.2f s%n", r.restored(), r.restoreSeconds(), r.recordsPerSecond(),
                    r.running(), r.firstStats());
            log.flush();
            return r;
        } finally {
            streams.close(Duration.ofSeconds(30));
        }
    }

    /** A metric of the restored session task's metering sensors, or null until it is registered. */
    private static Metric sessionTaskMetric(KafkaStreams streams, String name) {
        for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
            MetricName n = e.getKey();
            if (n.group().equals(MeteringMetrics.GROUP) && n.name().equals(name)
                    && SESSION_TASK.equals(n.tags().get(MeteringMetrics.SCOPE + "-id"))) {
                return e.getValue();
            }
        }
        return null;
    }

    private static double seconds(long at, long t0) {
        return at < 0 ? Double.NaN : (at - t0) / 1e9;
    }
}
