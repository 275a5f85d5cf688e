package dev.llmmeter.app.it;

import dev.llmmeter.devkit.ConstantRateStreams;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.app.MeteringApp;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.Topics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The live stack on a real broker: known constant-rate streams in, stats records out, one per tick, on whole seconds,
 * in order, none twice, at the streams' rate. Their spacing is printed, not asserted.
 */
class EndToEndIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    @Test
    void constantRateStreamsGiveTheirRateOneRecordPerSecond(@TempDir Path state) throws Exception {
        try (MeteringApp app = LiveApps.startRunning(LiveApps.settings(kafka.bootstrapServers(), kafka.clientConfig(), "e2e", state, 2));
             StatsCollector collector = new StatsCollector(kafka.bootstrapServers(), kafka.clientConfig())) {
            ConstantRateStreams load = new ConstantRateStreams(kafka.bootstrapServers(), props(), "e2e", 10, 20, 25, 40, 50);
            long settled = dev.llmmeter.topology.Ticks.tickOf(load.start() + 8_000) + 1000; // fencepost n/(n-1) < 1.5% by then
            String tailed;
            List<Stats> steady;
            try (load) {
                // Six records once settled, however long a loaded machine takes to publish them.
                steady = collector.await(s -> s.ts() >= settled, 6, Duration.ofSeconds(60), "after settling");
                tailed = tail("--json", "--max-records", "3");
            }
            List<Stats> stats = collector.stats();
            System.out.println("end-to-end: " + StatsCollector.spacings(stats) + "; after settling: " + StatsCollector.spacings(steady));
            StatsCollector.assertWholeSecondsStrictlyIncreasing(stats);
            assertTrue(collector.keys().stream().allMatch(Topics.STATS_KEY::equals));
            double given = (10 + 20 + 25 + 40 + 50) / 5.0;
            assertEquals(6, steady.size());
            for (Stats s : steady) {
                assertEquals(5, s.active(), s.toString());
                assertTrue(Math.abs(s.tps() - given) / given <= 0.02, "tps " + s.tps() + " within 2% of " + given);
                assertTrue(Math.abs(s.tps() - load.meanTpsAt(s.ts())) <= 0.35, "tps " + s.tps() + " vs seed's " + load.meanTpsAt(s.ts()));
                assertEquals(false, s.estimated());
            }
            // `metering tail --json`: the next three records, as JSON lines and nothing else
            List<String> lines = tailed.lines().toList();
            assertEquals(3, lines.size(), tailed);
            for (String line : lines) {
                Stats s = Topics.STATS.deserializeValue(line.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                assertEquals(5, s.active(), line);
                assertTrue(stats.contains(s) || s.ts() > stats.get(stats.size() - 1).ts(), line);
            }
        }
    }

    /** Runs `metering tail` in-process and returns what it printed on stdout. */
    private static String tail(String... options) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.PrintStream original = System.out;
        System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            String[] args = new String[options.length + 3];
            args[0] = "tail";
            args[1] = "--bootstrap-servers";
            args[2] = kafka.bootstrapServers();
            System.arraycopy(options, 0, args, 3, options.length);
            assertEquals(0, dev.llmmeter.app.ServiceMain.commandLine().execute(args));
        } finally {
            System.setOut(original);
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static java.util.Properties props() {
        java.util.Properties p = new java.util.Properties();
        p.putAll(kafka.clientConfig());
        return p;
    }
}
