package dev.llmmeter.bench;

import dev.llmmeter.contract.Stats;
import dev.llmmeter.devkit.CombinerHost;
import dev.llmmeter.devkit.ConstantRateStreams;
import dev.llmmeter.devkit.EmbeddedKafka;
import dev.llmmeter.devkit.StatsRecorder;
import dev.llmmeter.devkit.TopologyProcess;
import org.apache.kafka.clients.admin.Admin;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Predicate;

/**
 * How long the stats stop when the instance running the stats combiner dies: two `metering topology` processes
 * (child JVMs, own state dirs, one application id) over a 4-partition input carrying {@value #STREAMS} streams at
 * {@value #RATE} deltas/s, on the embedded broker; the one assigned the partials repartition topic is stopped with
 * SIGKILL (or SIGTERM), and optionally restarted on its state directory some seconds later. Per repetition (a fresh
 * application id each): the gap from the last stats record before the kill to the first after, from the kill and
 * from the restart to the first record with a later tick, and the largest gap after the restart (its rejoin's
 * rebalance). Waits for its own set-up by content (the group, the stats), never asserts.
 */
public final class FailoverBench {
    public static final int STREAMS = 12;
    public static final double RATE = 20;
    private static final long SET_UP_MS = 120_000;

    /**
     * @param restartAfterSeconds restart the stopped instance that many seconds after the stop; negative: never
     * @param extraConfig         lines appended to both instances' properties (other settings to compare), or ""
     */
    public record Options(int repetitions, int restartAfterSeconds, boolean sigterm, String extraConfig) {
        public String signal() {
            return sigterm ? "SIGTERM" : "SIGKILL";
        }

        public boolean restart() {
            return restartAfterSeconds >= 0;
        }
    }

    /** One repetition's figures, in ms; {@code restartToFirstMs} and {@code largestGapAfterRestartMs} -1 without a restart. */
    public record Run(int repetition, int host, long gapMs, long stopToFirstMs, long restartToFirstMs,
                      long largestGapAfterRestartMs, int records) {
    }

    public record Result(Options options, List<Run> runs) {
        public double medianSeconds(java.util.function.ToLongFunction<Run> figure) {
            return dev.llmmeter.bench.Stats.median(runs.stream().map(r -> figure.applyAsLong(r) / 1000.0).toList());
        }
    }

    private final Options options;
    private final Path workDir;
    private final PrintWriter err;

    public FailoverBench(Options options, Path workDir, PrintWriter err) {
        this.options = options;
        this.workDir = workDir;
        this.err = err;
    }

    public Result run() throws Exception {
        List<Run> runs = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(workDir.resolve("kafka-failover")).build().start()) {
            for (int i = 1; i <= options.repetitions(); i++) {
                Run r = repetition(kafka, i);
                err.printf(Locale.ROOT, "failover %d/%d: gap %.1f s, %s -> first record %.1f s%s%n", i, options.repetitions(),
                        r.gapMs() / 1000.0, options.signal(), r.stopToFirstMs() / 1000.0,
                        options.restart() ? String.format(Locale.ROOT, ", restart -> first record %.1f s", r.restartToFirstMs() / 1000.0) : "");
                err.flush();
                runs.add(r);
            }
        }
        return new Result(options, runs);
    }

    private Run repetition(EmbeddedKafka kafka, int repetition) throws Exception {
        String app = "failover-" + repetition;
        String deltas = app + ".deltas";
        String statsTopic = app + ".stats";
        Path work = Files.createDirectories(workDir.resolve(app));
        kafka.createTopic(deltas, 4); // both instances find it: no race to create it
        Path[] states = {work.resolve("state-0"), work.resolve("state-1")};
        Path[] configs = new Path[2];
        Process[] procs = new Process[2];
        Properties client = new Properties();
        client.putAll(kafka.clientConfig());
        double[] rates = new double[STREAMS];
        Arrays.fill(rates, RATE);
        try {
            for (int i = 0; i < 2; i++) {
                configs[i] = work.resolve("app-" + i + ".properties");
                Files.writeString(configs[i], "client.id=" + app + "-p" + i + "\nmetering.topic.deltas=" + deltas
                        + "\nmetering.topic.stats=" + statsTopic + "\nmetering.topic.dlq=" + app + ".dlq\n" + options.extraConfig() + "\n");
                procs[i] = TopologyProcess.start(kafka.bootstrapServers(), app, states[i], configs[i], work.resolve("p" + i + ".log"));
            }
            try (Admin admin = Admin.create(kafka.clientConfig());
                 StatsRecorder recorder = new StatsRecorder(kafka.bootstrapServers(), kafka.clientConfig(), statsTopic);
                 ConstantRateStreams load = new ConstantRateStreams(kafka.bootstrapServers(), client, deltas, app, rates)) {
                int host = awaitCombiner(admin, app, deltas, work);
                long settled = System.currentTimeMillis();
                awaitStats(recorder, s -> s.ts() > settled + 3_000 && s.active() == STREAMS, "with all streams after settling", work);

                long stoppedAt = System.currentTimeMillis();
                if (options.sigterm()) {
                    procs[host].destroy();
                } else {
                    procs[host].destroyForcibly();
                }
                procs[host].waitFor();
                long restartedAt = -1;
                if (options.restart()) {
                    long due = stoppedAt + options.restartAfterSeconds() * 1000L;
                    for (long now = System.currentTimeMillis(); now < due; now = System.currentTimeMillis()) {
                        Thread.sleep(due - now); // the scenario: it comes back S seconds later
                    }
                    restartedAt = System.currentTimeMillis();
                    procs[host] = TopologyProcess.start(kafka.bootstrapServers(), app, states[host], configs[host],
                            work.resolve("p" + host + "-restarted.log"));
                }
                long resumeFrom = Math.max(stoppedAt, restartedAt);
                awaitStats(recorder, s -> s.ts() > resumeFrom && s.active() == STREAMS, "with all streams after the stop", work);
                if (options.restart()) { // the group whole again, then a little more, to see the gap its rebalance makes
                    awaitCombiner(admin, app, deltas, work);
                }
                long whole = System.currentTimeMillis();
                awaitStats(recorder, s -> s.ts() > whole + 4_000, "4 s later", work);
                return figures(repetition, host, recorder.stats(), recorder.arrivals(), stoppedAt, restartedAt);
            }
        } finally {
            for (Process p : procs) {
                if (p != null) {
                    p.destroyForcibly().waitFor();
                }
            }
        }
    }

    static Run figures(int repetition, int host, List<Stats> stats, List<Long> arrivals, long stoppedAt, long restartedAt) {
        long lastBefore = 0;
        long firstAfterStop = -1;
        long firstAfterRestart = -1;
        long largestGapAfterRestart = restartedAt < 0 ? -1 : 0;
        for (int i = 0; i < stats.size(); i++) {
            long at = arrivals.get(i);
            if (at <= stoppedAt) {
                lastBefore = at;
            }
            if (firstAfterStop < 0 && stats.get(i).ts() > stoppedAt) {
                firstAfterStop = at;
            }
            if (restartedAt >= 0 && firstAfterRestart < 0 && stats.get(i).ts() > restartedAt) {
                firstAfterRestart = at;
            }
            if (restartedAt >= 0 && i > 0 && arrivals.get(i - 1) >= restartedAt) {
                largestGapAfterRestart = Math.max(largestGapAfterRestart, at - arrivals.get(i - 1));
            }
        }
        return new Run(repetition, host, firstAfterStop - lastBefore, firstAfterStop - stoppedAt,
                restartedAt < 0 ? -1 : firstAfterRestart - restartedAt, largestGapAfterRestart, stats.size());
    }

    private static int awaitCombiner(Admin admin, String app, String deltas, Path work) throws Exception {
        long deadline = System.currentTimeMillis() + SET_UP_MS;
        while (true) {
            Optional<Integer> host = CombinerHost.find(admin, app, deltas, true);
            if (host.isPresent()) {
                return host.get();
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("the two instances did not form a stable group within "
                        + SET_UP_MS / 1000 + " s");
            }
            Thread.sleep(250);
        }
    }

    private static void awaitStats(StatsRecorder recorder, Predicate<Stats> p, String what, Path work) throws InterruptedException {
        long deadline = System.currentTimeMillis() + SET_UP_MS;
        while (recorder.stats().stream().noneMatch(p)) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("no stats record " + what + " within " + SET_UP_MS / 1000 + " s");
            }
            Thread.sleep(100);
        }
    }

    /** Reads a properties file to append to both instances' settings. */
    public static String extraConfig(Path file) throws IOException {
        return file == null ? "" : Files.readString(file);
    }
}
