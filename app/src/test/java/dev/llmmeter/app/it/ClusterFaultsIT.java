package dev.llmmeter.app.it;

import dev.llmmeter.app.it.ExpectedUsage.Key;
import dev.llmmeter.app.it.ExpectedUsage.Totals;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.contract.Usage;
import dev.llmmeter.devkit.ConstantRateStreams;
import dev.llmmeter.devkit.KafkaClusterProcesses;
import dev.llmmeter.devkit.TopologyProcess;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Broker faults on a three-node cluster ({@link KafkaClusterProcesses}: each node a child JVM, topics with three
 * replicas and {@code min.insync.replicas=2}) under the metering app ({@code metering topology}, exactly-once, one
 * instance) while 12 live streams run at 20 deltas/s and a deterministic usage trace ({@link UsageTrace}, 1200 streams
 * over 60 s, event time compressed to a minute a second) is sent, with bad records among it:
 * <ol>
 *   <li>the leader of a busy {@code metering.deltas} partition is killed with SIGKILL, then started again;</li>
 *   <li>the same for the leader of the partials repartition topic (the stats combiner's input);</li>
 *   <li>the same for the transaction coordinator of the app's transactional ids;</li>
 *   <li>a rolling restart: each node stopped (SIGTERM) and started again in turn, waiting for every partition's
 *   in-sync replicas to be whole again between steps.</li>
 * </ol>
 * A node is started again only once the stats have resumed, and the next fault waits for full ISRs. Then: ticks on
 * {@code metering.stats} (read_committed) whole seconds, strictly increasing, none twice; one final record per trace
 * stream on {@code metering.streams}; the usage ledger's totals equal to the trace's, exactly, no window twice; the
 * live streams all active at their rate once caught up; the dead-letter topic holding exactly the bad records sent.
 * Around each fault, the largest gap between consecutive ticks and the longest pause between their arrivals are
 * printed; the gaps are asserted only under a generous bound, except in the rolling restart, where no tick may be
 * missing: the combiner emits the ticks a stall made it miss when it catches up.
 */
class ClusterFaultsIT {
    static final String APP = "faults";
    static final int PARTITIONS = 4;
    static final int STREAMS = 12;
    static final double RATE = 20;
    static final long SEED = 7;
    static final int TRACE_STREAMS = 1200;
    static final long TRACE_MS = 60_000;
    static final long COMPRESSION = 60;
    static final long GRACE_MS = 2_000;
    /** Longer than any fault's pause: a live stream must not look stale because a broker died. */
    static final long STALE_MS = 30_000;
    static final long MAX_FUTURE_MS = 3 * 3_600_000L;
    /** A bound for a loaded 2-core machine, not an expectation: the figures are printed. */
    static final long GAP_BOUND_MS = 60_000;
    static final Duration LOADED = Duration.ofSeconds(120);

    @Test
    void brokerDeathsAndARollingRestartLoseNothingAndCountNothingTwice(@TempDir Path work) throws Exception {
        try (KafkaClusterProcesses cluster = new KafkaClusterProcesses(3, work).startAll();
             Admin admin = Admin.create(cluster.clientConfig())) {
            admin.createTopics(List.of(new NewTopic(Topics.DELTAS.name(), Optional.of(PARTITIONS), Optional.empty())))
                    .all().get(30, TimeUnit.SECONDS);
            Path config = work.resolve("app.properties");
            Files.writeString(config, "client.id=" + APP + "\n"
                    + "metering.topic.deltas.partitions=" + PARTITIONS + "\n"
                    + "metering.stale.ms=" + STALE_MS + "\n"
                    + "metering.usage.grace.ms=" + GRACE_MS + "\n"
                    + "metering.max.future.ms=" + MAX_FUTURE_MS + "\n");
            Process app = TopologyProcess.start(cluster.bootstrapServers(), APP, work.resolve("state"), config, work.resolve("app.log"));
            Properties client = new Properties();
            client.putAll(cluster.clientConfig());
            double[] rates = new double[STREAMS];
            Arrays.fill(rates, RATE);
            long base = Usage.Window.MINUTE.startOf(System.currentTimeMillis()) + Usage.Window.MINUTE.sizeMs();
            UsageTrace trace = UsageTrace.generate(SEED, TRACE_STREAMS, TRACE_MS, base, COMPRESSION);
            List<String> bad = new ArrayList<>();
            Map<String, Gap> gaps = new LinkedHashMap<>();
            try (StatsCollector stats = new StatsCollector(cluster.bootstrapServers(), cluster.clientConfig());
                 UsageCollector ledger = new UsageCollector(cluster.bootstrapServers(), cluster.clientConfig());
                 KafkaProducer<String, byte[]> producer = producer(cluster.bootstrapServers());
                 ConstantRateStreams live = new ConstantRateStreams(cluster.bootstrapServers(), client, "live", rates)) {
                stats.await(s -> s.active() >= STREAMS, LOADED, "with the live streams (see target/it-logs/" + APP + ")");
                AtomicReference<Throwable> sendFailure = new AtomicReference<>();
                long traceStart = System.currentTimeMillis();
                Thread sender = new Thread(() -> sendTrace(producer, trace, traceStart, sendFailure), "trace-sender");
                sender.start();

                badRecord(producer, bad);
                gaps.put("leader of a metering.deltas partition killed", killAndRestart(cluster, admin, stats,
                        leaderOf(admin, Topics.DELTAS.name())));
                badRecord(producer, bad);
                gaps.put("leader of the partials topic killed", killAndRestart(cluster, admin, stats,
                        leaderOf(admin, partialsTopic(admin))));
                badRecord(producer, bad);
                gaps.put("transaction coordinator killed", killAndRestart(cluster, admin, stats, transactionCoordinator(admin)));
                badRecord(producer, bad);
                long rollingStart = System.currentTimeMillis();
                for (int node : cluster.nodeIds()) {
                    cluster.stop(node);
                    cluster.start(node);
                    awaitFullIsr(admin);
                }
                long rolled = System.currentTimeMillis();
                stats.await(s -> s.ts() >= rolled + 2_000, LOADED, "2 s after the rolling restart");
                Gap rolling = Gap.from(stats, rollingStart - 2_000);
                gaps.put("rolling restart of the three brokers", rolling);
                badRecord(producer, bad);

                sender.join(LOADED.toMillis() + TRACE_MS);
                assertEquals(null, sendFailure.get(), "sending the trace");
                ReconciliationIT.flush(admin, producer, trace, APP);
                producer.flush();
                long sent = System.currentTimeMillis();

                gaps.forEach((fault, gap) -> System.out.printf(Locale.ROOT,
                        "cluster faults: %-48s largest gap between ticks %5.1f s, longest pause between their arrivals %5.1f s%n",
                        fault, gap.ticksMs() / 1000.0, gap.arrivalsMs() / 1000.0));
                assertEquals(List.of(), rolling.missing(), "ticks missing in the rolling restart");
                Map<Key, Totals> expected = ExpectedUsage.totals(trace.streams());
                await("the ledger sums to the trace's totals (see target/it-logs/" + APP + ")").atMost(LOADED)
                        .pollInterval(Duration.ofMillis(500))
                        .failFast("the app exited", () -> !app.isAlive())
                        .untilAsserted(() -> {
                            List<Usage> records = ReconciliationIT.traceRecords(ledger.records());
                            assertEquals(expected, ExpectedUsage.sum(records, Usage.Window.MINUTE), "minute windows");
                            assertEquals(expected, ExpectedUsage.sum(records, Usage.Window.HOUR), "hour windows");
                        });
                System.out.printf(Locale.ROOT, "cluster faults: ledger exact %.1f s after the last event%n",
                        (System.currentTimeMillis() - sent) / 1000.0);
                assertEquals(List.of(), ledger.conflicts(), "window ids published twice with different content");
                assertEquals(0, ledger.repeats(), "records published twice");

                // Caught up: every live stream active at its rate, the trace's streams ended or stale.
                long caughtUp = System.currentTimeMillis();
                for (Stats s : stats.await(x -> x.ts() > caughtUp && x.active() == STREAMS, 3, LOADED, "with only the live streams")) {
                    assertTrue(Math.abs(s.tps() - RATE) / RATE <= 0.02, "tps " + s.tps() + " within 2% of " + RATE + ": " + s);
                }
                StatsCollector.assertWholeSecondsStrictlyIncreasing(stats.stats());
                System.out.println("cluster faults: stats " + StatsCollector.spacings(stats.stats()));

                assertOneFinalRecordPerTraceStream(cluster, trace);

                List<String> dead = CommittedRecords.read(cluster.clientConfig(), Topics.DEAD_LETTERS.name(), LOADED).stream()
                        .map(r -> new String(r.value(), StandardCharsets.UTF_8)).sorted().toList();
                assertEquals(bad.stream().sorted().toList(), dead, "the dead letters: the bad records sent, each once");
                gaps.forEach((fault, gap) -> assertTrue(gap.ticksMs() < GAP_BOUND_MS, fault + ": " + gap + " without a tick"));
            } finally {
                app.destroyForcibly().waitFor();
                TopologyProcess.keepLogs(work, APP);
            }
        }
    }

    /** One final record (ended, or stale for a stream never ended) per trace stream on metering.streams, read_committed. */
    static void assertOneFinalRecordPerTraceStream(KafkaClusterProcesses cluster, UsageTrace trace) {
        Map<String, String> expectedFinals = new TreeMap<>();
        Set<String> traceIds = trace.streams().stream().map(UsageTrace.Stream::id).collect(Collectors.toSet());
        for (UsageTrace.Stream s : trace.streams()) {
            expectedFinals.put(s.id(), s.end() != null ? "ended" : "stale");
        }
        Map<String, String> finals = CommittedRecords.finals(cluster.clientConfig(), Topics.STREAMS.name(), traceIds::contains, LOADED);
        assertEquals(expectedFinals, finals, "one final record per trace stream");
    }

    /**
     * SIGKILLs the node, waits for a tick 3 s after the kill, starts the node again and waits for full ISRs. Returns the
     * largest gap between consecutive ticks from just before the kill.
     */
    private static Gap killAndRestart(KafkaClusterProcesses cluster, Admin admin, StatsCollector stats, int node) throws Exception {
        awaitFullIsr(admin);
        long killedAt = System.currentTimeMillis();
        cluster.kill(node);
        stats.await(s -> s.ts() >= killedAt + 3_000, LOADED, "3 s after node " + node + " was killed");
        Gap gap = Gap.from(stats, killedAt - 2_000);
        cluster.start(node);
        awaitFullIsr(admin);
        return gap;
    }

    /**
     * Around a fault, over the ticks from {@code from} on (and the one before): the largest spacing of consecutive
     * ticks, the longest pause between their arrivals, and the whole seconds missing between the first and the last.
     */
    record Gap(long ticksMs, long arrivalsMs, List<Long> missing) {
        static Gap from(StatsCollector collector, long from) {
            List<Stats> stats = collector.stats();
            List<Long> arrivals = collector.arrivals();
            long ticks = 0;
            long pause = 0;
            List<Long> missing = new ArrayList<>();
            for (int i = 1; i < Math.min(stats.size(), arrivals.size()); i++) {
                if (stats.get(i).ts() >= from) {
                    ticks = Math.max(ticks, stats.get(i).ts() - stats.get(i - 1).ts());
                    pause = Math.max(pause, arrivals.get(i) - arrivals.get(i - 1));
                    for (long t = stats.get(i - 1).ts() + 1000; t < stats.get(i).ts(); t += 1000) {
                        missing.add(t);
                    }
                }
            }
            return new Gap(ticks, pause, missing);
        }
    }

    private static void awaitFullIsr(Admin admin) {
        await("every partition with its three in-sync replicas").atMost(LOADED).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions()
                .until(() -> {
                    Set<String> names = admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(true))
                            .names().get(10, TimeUnit.SECONDS);
                    return admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS).values().stream()
                            .flatMap(d -> d.partitions().stream()).allMatch(p -> p.isr().size() == 3 && p.leader() != null);
                });
    }

    /** The node that leads partition 0 of the topic. */
    private static int leaderOf(Admin admin, String topic) throws Exception {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
        return d.partitions().get(0).leader().id();
    }

    private static String partialsTopic(Admin admin) throws Exception {
        return admin.listTopics().names().get(10, TimeUnit.SECONDS).stream()
                .filter(t -> t.startsWith(APP + "-") && t.contains("partials") && t.endsWith("-repartition"))
                .findFirst().orElseThrow(() -> new AssertionError("no partials repartition topic"));
    }

    /** The coordinator of the app's transactional ids (the transaction log has one partition: one coordinator). */
    private static int transactionCoordinator(Admin admin) throws Exception {
        List<String> ids = admin.listTransactions().all().get(10, TimeUnit.SECONDS).stream()
                .map(TransactionListing::transactionalId).filter(id -> id.startsWith(APP + "-")).toList();
        assertTrue(!ids.isEmpty(), "the app's transactional ids");
        Set<Integer> coordinators = admin.describeTransactions(ids).all().get(10, TimeUnit.SECONDS).values().stream()
                .map(d -> d.coordinatorId()).collect(Collectors.toSet());
        assertEquals(1, coordinators.size(), "one coordinator: " + coordinators);
        return coordinators.iterator().next();
    }

    private static void badRecord(KafkaProducer<String, byte[]> producer, List<String> bad) {
        String value = "not json #" + bad.size();
        bad.add(value);
        producer.send(new ProducerRecord<>(Topics.DELTAS.name(), "bad-" + bad.size(), value.getBytes(StandardCharsets.UTF_8)));
    }

    static void sendTrace(KafkaProducer<String, byte[]> producer, UsageTrace trace, long start, AtomicReference<Throwable> failure) {
        try {
            for (UsageTrace.Event e : trace.events()) {
                LockSupport.parkUntil(start + e.at()); // real-time pacing of the trace, not a wait for an outcome
                producer.send(new ProducerRecord<>(Topics.DELTAS.name(), e.streamId(), e.json().getBytes(StandardCharsets.UTF_8)),
                        (md, ex) -> {
                            if (ex != null) {
                                failure.compareAndSet(null, ex);
                            }
                        });
            }
        } catch (RuntimeException e) {
            failure.compareAndSet(null, e);
        }
    }

    static KafkaProducer<String, byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true"); // a broker's death must not duplicate or drop a send
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "180000");
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }
}
