package dev.llmmeter.app.it;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.StreamStatus;
import dev.llmmeter.devkit.CombinerHost;
import dev.llmmeter.devkit.ConstantRateStreams;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.devkit.TopologyProcess;
import dev.llmmeter.sim.KafkaSink;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two `metering topology` processes under Kafka's streams rebalance protocol ({@code group.protocol=streams}, a
 * streams group the broker assigns) share a 4-partition input carrying 12 live streams at 20 deltas/s, plus finite
 * streams: some begun and ended before the fault, some begun before it and ended after; {@code num.standby.replicas=1},
 * which the app carries over to the streams group's config. The one hosting the stats
 * combiner is killed with SIGKILL and never comes back while the other takes over; then it is started again on its
 * state directory and rejoins. Asserted by content only: stats resume from the survivor with every stream; ticks
 * whole seconds, strictly increasing, none twice; one final record per finite stream on the streams topic; the
 * restarted process holds tasks again as the same Kafka Streams process (a dynamic member: no group.instance.id). How long the stats stop is measured by
 * {@code bin/metering bench --failover --config} with the protocol, not here.
 */
class StreamsProtocolFailoverIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    static final int STREAMS = 12;
    static final double RATE = 20;
    static final int FINITE = 8;
    /** Bounds for a loaded 2-core machine and the broker's 45 s streams session timeout, not expectations. */
    static final Duration LOADED = Duration.ofSeconds(180);

    @Test
    void aKilledInstancesTasksMoveToTheSurvivorAndItRejoinsAsTheSameProcessUnderTheStreamsProtocol(@TempDir Path work) throws Exception {
        String app = "streams-protocol";
        String deltas = app + ".deltas";
        String statsTopic = app + ".stats";
        String streamsTopic = app + ".streams";
        kafka.createTopic(deltas, 4); // both instances find it: no race to create it
        Path[] states = {work.resolve("state-0"), work.resolve("state-1")};
        Path[] configs = new Path[2];
        Process[] procs = new Process[2];
        for (int i = 0; i < 2; i++) {
            configs[i] = work.resolve("app-" + i + ".properties");
            Files.writeString(configs[i], "client.id=" + app + "-p" + i + "\ngroup.protocol=streams\nnum.standby.replicas=1\nmetering.topic.deltas=" + deltas
                    + "\nmetering.topic.stats=" + statsTopic + "\nmetering.topic.streams=" + streamsTopic
                    + "\nmetering.topic.dlq=" + app + ".dlq\n"
                    // the finite streams left open over the fault must not go stale while their tasks move
                    + "metering.stale.ms=600000\n");
            procs[i] = TopologyProcess.start(kafka.bootstrapServers(), app, states[i], configs[i], work.resolve("p" + i + ".log"));
        }
        Properties client = new Properties();
        client.putAll(kafka.clientConfig());
        double[] rates = new double[STREAMS];
        Arrays.fill(rates, RATE);
        try (Admin admin = Admin.create(kafka.clientConfig());
             StatsCollector collector = new StatsCollector(kafka.bootstrapServers(), kafka.clientConfig(), statsTopic);
             KafkaSink finite = new KafkaSink(kafka.bootstrapServers(), deltas, client);
             ConstantRateStreams load = new ConstantRateStreams(kafka.bootstrapServers(), client, deltas, app, rates)) {
            int host = FailoverIT.awaitCombiner(admin, app, deltas, true, -1, LOADED);
            ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, app);
            assertEquals("1", admin.describeConfigs(List.of(group)).all().get().get(group).get("streams.num.standby.replicas").value(),
                    "num.standby.replicas carried over to the streams group's config");
            long settled = System.currentTimeMillis();
            collector.await(s -> s.ts() > settled && s.active() == STREAMS, LOADED, "with all live streams");

            // Finite streams: all begin now; the first half end before the kill, the second half after it.
            long t = System.currentTimeMillis();
            for (int i = 0; i < FINITE; i++) {
                finite.send(DeltaEvent.begin("fin-" + i, t));
                finite.send(DeltaEvent.output("fin-" + i, t + 100, 3));
                finite.send(DeltaEvent.output("fin-" + i, t + 300, 7));
            }
            for (int i = 0; i < FINITE / 2; i++) {
                finite.send(DeltaEvent.end("fin-" + i, t + 500, 9, 4));
            }
            finite.flush();
            long sentFirstHalf = System.currentTimeMillis();
            collector.await(s -> s.ts() > sentFirstHalf && s.active() == STREAMS + FINITE / 2, LOADED,
                    "with the live streams and the finite ones still open");

            List<String> processIds = CombinerHost.processIds(admin, app, host);
            assertFalse(processIds.isEmpty(), "the streams group describes the host's members with their process id");
            procs[host].destroyForcibly(); // SIGKILL: no leave-group heartbeat, no commit
            procs[host].waitFor();
            long killedAt = System.currentTimeMillis();
            // Its tasks move to the survivor once the broker's streams session timeout fences it.
            FailoverIT.awaitCombiner(admin, app, deltas, false, 1 - host, LOADED);
            collector.await(s -> s.ts() > killedAt && s.active() == STREAMS + FINITE / 2, LOADED, "from the survivor");

            long end = System.currentTimeMillis();
            for (int i = FINITE / 2; i < FINITE; i++) {
                finite.send(DeltaEvent.end("fin-" + i, end, 9, 4));
            }
            finite.flush();
            long ended = System.currentTimeMillis();
            collector.await(s -> s.ts() > ended && s.active() == STREAMS, LOADED, "after the finite streams ended");

            procs[host] = TopologyProcess.start(kafka.bootstrapServers(), app, states[host], configs[host],
                    work.resolve("p" + host + "-restarted.log"));
            FailoverIT.awaitCombiner(admin, app, deltas, true, -1, LOADED); // both processes with session tasks again
            assertEquals(processIds.subList(0, 1), CombinerHost.processIds(admin, app, host).stream().distinct().toList(),
                    "the restarted process rejoins with the process id kept in its state directory");
            assertEquals(List.of(""), CombinerHost.instanceIds(admin, app, host),
                    "a dynamic member of the streams group: the app adds no group.instance.id under this protocol");
            long whole = System.currentTimeMillis();
            for (Stats s : collector.await(x -> x.ts() > whole && x.active() == STREAMS, 3, LOADED, "after the rejoin")) {
                assertTrue(Math.abs(s.tps() - RATE) / RATE <= 0.02, "tps " + s.tps() + " within 2% of " + RATE + ": " + s);
            }
            StatsCollector.assertWholeSecondsStrictlyIncreasing(collector.stats());
            System.out.println("streams protocol failover: stats " + StatsCollector.spacings(collector.stats()));

            Map<String, String> expected = new TreeMap<>();
            for (int i = 0; i < FINITE; i++) {
                expected.put("fin-" + i, StreamStatus.State.ENDED.wireName());
            }
            assertEquals(expected, CommittedRecords.finals(kafka.clientConfig(), streamsTopic, id -> id.startsWith("fin-"), LOADED), "one final record per finite stream");
        } finally {
            for (Process p : procs) {
                p.destroyForcibly().waitFor();
            }
            TopologyProcess.keepLogs(work, app);
        }
    }
}
