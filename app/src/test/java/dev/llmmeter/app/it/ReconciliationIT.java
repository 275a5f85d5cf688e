package dev.llmmeter.app.it;

import dev.llmmeter.app.it.ExpectedUsage.Key;
import dev.llmmeter.app.it.ExpectedUsage.Totals;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.contract.Usage;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.devkit.TopologyProcess;
import dev.llmmeter.topology.usage.UsageItem;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.LockSupport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The usage ledger reconciles with what was sent, exactly, through a crash, a broker bounce and redelivered ends.
 *
 * <p>Two `metering topology` processes share a 4-partition input. A deterministic trace ({@link UsageTrace}, seed
 * 42) of 3000 streams is sent live over 45 s, event time compressed to two minutes a second (an hour and a half of
 * minute and hour windows, closed by stream time): tenants t0..t4 or none, models m0..m2 or none, provider figures
 * on some ends only, about 5% of the streams never ended (billed from the meter's running counts once stale), about
 * 10% of the ends sent twice (half at once, half after the trace). A third of the way in, one instance is killed
 * with SIGKILL and started again on its state directory; two thirds in, the broker is stopped and started again.
 * Then the ledger as a billing system reads it ({@link UsageCollector}: read_committed) must sum, over the minute
 * windows and separately over the hour windows, amendments included, to {@link ExpectedUsage}'s totals per
 * (tenant, model), exactly; and no window id may carry two different records.
 */
class ReconciliationIT {
    /**
     * A broker with Kafka's defaults: the trace's event time runs up to 2.6 h ahead of its clock, past the hour
     * ahead it accepts a record's timestamp ({@code log.message.timestamp.after.max.ms}); the ledger dates nothing
     * it writes ahead of the meter's clock.
     */
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    static final long SEED = 42;
    static final int STREAMS = 3000;
    static final long DURATION_MS = 45_000;
    /** Event ms per real ms: two minutes a second. */
    static final long COMPRESSION = 120;
    static final long KILL_AT = DURATION_MS / 3;
    static final long BOUNCE_AT = 2 * DURATION_MS / 3;
    static final int PARTITIONS = 4;
    static final long GRACE_MS = 2_000;
    /**
     * Unended streams are billed this long (wall clock, on receipt) after their last delta. Longer than a broker
     * bounce and its catch-up: a live stream must not look stale because the broker was away.
     */
    static final long STALE_MS = 15_000;
    static final long MAX_FUTURE_MS = 3 * 3_600_000L;
    /** The streams that move stream time past the last window on every ledger task; their usage is not the trace's. */
    static final String FLUSH_TENANT_PREFIX = "flush-";

    @Test
    void ledgerSumsToTheTraceThroughACrashABrokerBounceAndRedeliveredEnds(@TempDir Path work) throws Exception {
        kafka.createTopic(Topics.DELTAS.name(), PARTITIONS);
        // Event time runs ahead of the wall clock from the start (two minutes a second), so the ledger's wall-clock
        // close never comes first: every window of the trace closes by stream time.
        long base = Usage.Window.MINUTE.startOf(System.currentTimeMillis()) + Usage.Window.MINUTE.sizeMs();
        UsageTrace trace = UsageTrace.generate(SEED, STREAMS, DURATION_MS, base, COMPRESSION);
        Map<Key, Totals> expected = ExpectedUsage.totals(trace.streams());

        Path[] states = {work.resolve("state-0"), work.resolve("state-1")};
        Path[] configs = new Path[2];
        for (int i = 0; i < 2; i++) {
            configs[i] = work.resolve("app-" + i + ".properties");
            Files.writeString(configs[i], "client.id=reconcile-p" + i + "\n"
                    + "metering.topic.deltas.partitions=" + PARTITIONS + "\n"
                    + "metering.stale.ms=" + STALE_MS + "\n"
                    + "metering.usage.grace.ms=" + GRACE_MS + "\n"
                    // The trace's event time, and the flush's, run up to 2.6 h ahead of the meter's clock.
                    + "metering.max.future.ms=" + MAX_FUTURE_MS + "\n");
        }
        Process[] procs = new Process[2];
        procs[0] = TopologyProcess.start(kafka.bootstrapServers(), "reconcile", states[0], configs[0], work.resolve("p0.log"));
        procs[1] = TopologyProcess.start(kafka.bootstrapServers(), "reconcile", states[1], configs[1], work.resolve("p1.log"));
        try (Admin admin = Admin.create(kafka.clientConfig());
             UsageCollector ledger = new UsageCollector(kafka.bootstrapServers(), kafka.clientConfig());
             KafkaProducer<String, byte[]> producer = producer()) {
            await("both instances share the input (see target/it-logs/reconciliation)").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250)).until(() -> bothConsume(admin));

            long start = System.currentTimeMillis();
            boolean killed = false;
            boolean bounced = false;
            for (UsageTrace.Event e : trace.events()) {
                if (!killed && e.at() >= KILL_AT) {
                    killed = true;
                    procs[0].destroyForcibly().waitFor(); // SIGKILL: no clean shutdown, no final commit
                    procs[0] = TopologyProcess.start(kafka.bootstrapServers(), "reconcile", states[0], configs[0],
                            work.resolve("p0-restarted.log"));
                    System.out.printf(Locale.ROOT, "reconciliation: instance 0 killed and restarted %.1f s into the trace%n",
                            (System.currentTimeMillis() - start) / 1000.0);
                }
                if (!bounced && e.at() >= BOUNCE_AT) {
                    bounced = true;
                    long down = System.currentTimeMillis();
                    kafka.restart();
                    System.out.printf(Locale.ROOT, "reconciliation: broker bounced %.1f s into the trace, away %.1f s%n",
                            (down - start) / 1000.0, (System.currentTimeMillis() - down) / 1000.0);
                }
                LockSupport.parkUntil(start + e.at()); // real-time pacing of the trace, not a wait for an outcome
                producer.send(new ProducerRecord<>(Topics.DELTAS.name(), e.streamId(), e.json().getBytes(StandardCharsets.UTF_8)));
            }
            flush(admin, producer, trace, "reconcile");
            producer.flush();
            long sent = System.currentTimeMillis();
            System.out.printf(Locale.ROOT, "reconciliation: %d events of %d streams sent in %.1f s%n", trace.events().size(),
                    STREAMS, (sent - start) / 1000.0);

            Process[] live = procs.clone();
            await("the ledger sums to the trace's totals (see target/it-logs/reconciliation)")
                    .atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .failFast("an instance exited", () -> !live[0].isAlive() || !live[1].isAlive())
                    .untilAsserted(() -> {
                        List<Usage> records = traceRecords(ledger.records());
                        assertEquals(expected, ExpectedUsage.sum(records, Usage.Window.MINUTE), "minute windows");
                        assertEquals(expected, ExpectedUsage.sum(records, Usage.Window.HOUR), "hour windows");
                    });
            List<Usage> records = ledger.records();
            long amendments = records.stream().filter(Usage::isAmendment).count();
            System.out.printf(Locale.ROOT, "reconciliation: exact %.1f s after the last event; %d records (%d amendments, "
                            + "%d repeated with the same bytes)%n", (System.currentTimeMillis() - sent) / 1000.0, records.size(),
                    amendments, ledger.repeats());
            assertEquals(List.of(), ledger.conflicts(), "window ids published twice with different content");
            assertEquals(0, ledger.repeats(), "records published twice (each window's record is published once)");
        } finally {
            for (Process p : procs) {
                p.destroyForcibly().waitFor();
            }
            TopologyProcess.keepLogs(work, "reconciliation");
        }
    }

    /** The ledger's records of the trace's own streams (the flush streams' are left out). */
    static List<Usage> traceRecords(List<Usage> records) {
        return records.stream().filter(u -> u.tenant() == null || !u.tenant().startsWith(FLUSH_TENANT_PREFIX)).toList();
    }

    /**
     * One short stream for every partition of the ledger's repartition topic (a tenant of its own each, hashed there
     * as the ledger keys its items), dated past the end of the trace's last hour window plus the grace: every ledger
     * task's stream time then closes every window of the trace, rather than the wall clock hours later.
     */
    static void flush(Admin admin, KafkaProducer<String, byte[]> producer, UsageTrace trace, String applicationId) throws Exception {
        String repartition = admin.listTopics().names().get().stream()
                .filter(t -> t.startsWith(applicationId + "-") && t.contains("usage") && t.endsWith("-repartition"))
                .findFirst().orElseThrow(() -> new AssertionError("no usage repartition topic"));
        int partitions = admin.describeTopics(List.of(repartition)).allTopicNames().get().get(repartition).partitions().size();
        long ts = Usage.Window.HOUR.startOf(trace.lastTs()) + Usage.Window.HOUR.sizeMs() + GRACE_MS + 60_000;
        Map<Integer, String> tenants = new TreeMap<>();
        for (int i = 0; tenants.size() < partitions; i++) {
            String tenant = FLUSH_TENANT_PREFIX + i;
            byte[] key = UsageItem.ledgerKey(tenant, null).getBytes(StandardCharsets.UTF_8);
            tenants.putIfAbsent(Utils.toPositive(Utils.murmur2(key)) % partitions, tenant);
        }
        for (String tenant : tenants.values()) {
            String id = "stream-of-" + tenant;
            for (String json : List.of(UsageTrace.begin(id, ts, tenant, null),
                    UsageTrace.delta(id, new UsageTrace.Delta("output", ts + 1, 1)),
                    UsageTrace.end(id, new UsageTrace.End(ts + 2, 1, null, null, null)))) {
                producer.send(new ProducerRecord<>(Topics.DELTAS.name(), id, json.getBytes(StandardCharsets.UTF_8)));
            }
        }
    }

    private static KafkaProducer<String, byte[]> producer() {
        Properties p = new Properties();
        p.putAll(kafka.clientConfig());
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true"); // the broker bounce must not duplicate or drop a send
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "180000");
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    /** The group is stable with two members, each consuming some of the input. */
    private static boolean bothConsume(Admin admin) throws Exception {
        ConsumerGroupDescription g;
        try {
            g = admin.describeConsumerGroups(List.of("reconcile")).all().get().get("reconcile");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return false;
            }
            throw e;
        }
        if (g == null || g.groupState() != GroupState.STABLE || g.members().size() != 2) {
            return false;
        }
        return g.members().stream().allMatch(m -> m.assignment().topicPartitions().stream()
                .map(TopicPartition::topic).anyMatch(Topics.DELTAS.name()::equals));
    }
}
