package dev.llmmeter.cli;

import dev.llmmeter.app.ConfigFileOption;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.llmmeter.app.StartupException;
import dev.llmmeter.bench.BrokerBench;
import dev.llmmeter.bench.BrokerBench.App;
import dev.llmmeter.bench.BrokerBench.Guarantee;
import dev.llmmeter.bench.FailoverBench;
import dev.llmmeter.bench.Machine;
import dev.llmmeter.bench.RestoreBench;
import dev.llmmeter.bench.Stats;
import dev.llmmeter.bench.TickBench;
import dev.llmmeter.devkit.EmbeddedKafka;
import org.apache.kafka.common.utils.Utils;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "bench",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Benchmark the metering app against a pass-through Kafka Streams app, on a real broker.",
        description = {
            "Starts a single-node Kafka broker in this process, loads N simulated delta events (about --streams concurrent LLM streams of the realistic fleet, as 'simulate --fleet' makes them: several models and tenants, multi-token deltas; begins and ends included, unpaced) into a topic with P partitions, then times, reading all of it from the beginning: a pass-through Kafka Streams app (byte arrays, source to sink) and the metering app (the real topology, as 'metering topology' runs it, with every output on: stats, per-stream records, insights by model and tenant, the usage ledger), with at_least_once and then exactly_once_v2, --repetitions times each. Both apps get the metering app's Kafka Streams defaults (exactly-once: commit.interval.ms=1000; see docs/performance.md), one stream thread each. A run's clock starts when its app is RUNNING and stops when Kafka Streams' own counters show every event processed. Then, once per repetition, a plain KafkaConsumer of the same topic (no group: every partition assigned, read from the beginning, values discarded; the fetch settings Kafka Streams gives the apps' consumer, max.poll.records=1000 and read_committed among them): the ceiling of anything fed by Kafka. And, under each guarantee, a no-op Kafka Streams app (the pass-through's source and settings, a processor that drops every record, no state, no output): the ceiling of any Kafka Streams app, so that the figures say what Kafka Streams itself costs per record and what the metering adds.",
            "",
            "Prints events/s (medians), the ratio metering / pass-through per guarantee, the no-op app's events/s and the ratio metering / no-op per guarantee, the plain consumer's events/s, the ratio metering at_least_once / consumer and the no-op's / consumer (the most any Kafka Streams app can reach), how busy each app's stream thread was (its CPU time over the run: near 100%%, the app is bound by its own per-record work), the metering app's tick (punctuation) latency p50/p99, peak heap and process RSS, and the machine. The broker and the apps share this process and its cores. The metering runs set metering.stale.ms and metering.begin.expiry.ms to a day, because the loaded events are minutes old by the time they are read.",
            "",
            "With --sessions N, instead: the cost of one tick with N live sessions in a single task (no broker), p50/p99/max over many ticks, the bytes of store value and of heap per live session; then (unless --no-restore) the time the metering app takes to restore N sessions from the sessions changelog on the embedded broker (one partition, a fresh state dir, exactly-once as the app runs by default), part of the failover time: restore time, records/s, MB of changelog, and the times from start() to RUNNING, to the restored task's first tick and to the first stats record. Where this build has a per-task session cap (metering.max.sessions.per.task) it is raised to fit N.",
            "",
            "With --failover, instead: how long the stats stop when the instance running the stats combiner dies. Two 'metering topology' processes (child JVMs, one application id, own state dirs) over a 4-partition input carrying 12 streams at 20 deltas/s on the embedded broker; the one running the combiner is killed (SIGKILL; --sigterm: stopped cleanly) and, with --restart-after S, restarted on its state directory S seconds later. Prints, per repetition and as medians: the stats gap (last record before the stop to the first after), the time from the stop and from the restart to the first record with a later tick, and the largest gap after the restart (its rejoin's rebalance). --config adds settings to both instances (e.g. session.timeout.ms=45000 and an empty group.instance.id, to compare with Kafka's defaults).",
            "",
            "--config: Kafka Streams and client settings for both apps over their defaults (and metering.* settings for the metering app), to try other settings.",
            "",
            "Progress goes to stderr; with --json, stdout carries one JSON object and nothing else."
        },
        footer = {"", "Examples:", "  metering bench", "  metering bench --events 500000 --repetitions 1 --json",
            "  metering bench --sessions 1000000", "  metering bench --sessions 100000 --no-restore",
            "  metering bench --failover", "  metering bench --failover --restart-after 15", "  metering bench --failover --sigterm --repetitions 1"})
final class BenchCommand implements Callable<Integer> {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--events", defaultValue = "2000000", paramLabel = "N",
            description = "Delta events to load and read (default: ${DEFAULT-VALUE}).")
    private long events;

    @Option(names = "--partitions", defaultValue = "4", paramLabel = "P",
            description = "Partitions of the input topic (default: ${DEFAULT-VALUE}).")
    private int partitions;

    @Option(names = "--streams", defaultValue = "10000", paramLabel = "S",
            description = "Concurrent simulated LLM streams (default: ${DEFAULT-VALUE}).")
    private int streams;

    @Option(names = "--repetitions", defaultValue = "3", paramLabel = "R",
            description = "Timed runs of each app under each guarantee (and of the plain consumer); figures are medians (default: ${DEFAULT-VALUE}).")
    private int repetitions;

    @Option(names = "--stream-threads", defaultValue = "1", paramLabel = "T",
            description = "num.stream.threads of both apps (default: ${DEFAULT-VALUE}, Kafka Streams' default).")
    private int streamThreads;

    @Option(names = "--warmup", defaultValue = "2000000", paramLabel = "N",
            description = "Events each app reads once under each guarantee (the plain consumer: once) before the timed runs, untimed (at most the events loaded), so that the first timed runs do not pay for JIT compilation, in the apps and in the broker's produce path, which the pass-through alone exercises (default: ${DEFAULT-VALUE}; 0: none).")
    private long warmup;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "K", description = "Simulator seed (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--sessions", paramLabel = "N",
            description = "Instead of the broker benchmark: time one tick with N live sessions in one task.")
    private Integer sessions;

    @Option(names = "--ticks", defaultValue = "1000", paramLabel = "T",
            description = "With --sessions: timed ticks (default: ${DEFAULT-VALUE}; 100 more run first, untimed).")
    private int ticks;

    @Option(names = "--no-restore",
            description = "With --sessions: only the tick benchmark, without the broker and the restore from the changelog.")
    private boolean noRestore;

    @Option(names = "--failover",
            description = "Instead of the broker benchmark: the stats gap when the instance running the stats combiner is killed.")
    private boolean failover;

    @Option(names = "--restart-after", paramLabel = "S",
            description = "With --failover: restart the killed instance on its state directory S seconds after the kill (default: never).")
    private Integer restartAfter;

    @Option(names = "--sigterm",
            description = "With --failover: stop the instance cleanly (SIGTERM: it leaves the group) instead of SIGKILL.")
    private boolean sigterm;

    @CommandLine.Mixin
    private ConfigFileOption config;

    @Option(names = "--json", description = "Print the results as one JSON object on stdout.")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        validate();
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        Path home = Files.createDirectories(Path.of(System.getProperty("user.home"), ".metering"));
        Path workDir = Files.createTempDirectory(home, "bench-");
        try {
            if (failover) {
                FailoverBench.Result r = new FailoverBench(new FailoverBench.Options(repetitions,
                        restartAfter == null ? -1 : restartAfter, sigterm, FailoverBench.extraConfig(config.file())), workDir, err).run();
                out.print(json ? failoverJson(r) + "\n" : failoverTable(r));
            } else if (sessions != null) {
                try (Machine.PeakHeap peakHeap = new Machine.PeakHeap(10)) {
                    TickBench.Result r = new TickBench(new TickBench.Options(sessions, ticks, Math.max(1_000, sessions / 10)),
                            workDir, err).run();
                    RestoreBench.Result restore = noRestore ? null
                            : new RestoreBench(new RestoreBench.Options(sessions), workDir, err).run();
                    long peak = peakHeap.peak();
                    out.print(json ? ticksJson(r, restore, peak) + "\n" : ticksTable(r, restore, peak));
                }
            } else {
                BrokerBench.Result r = new BrokerBench(new BrokerBench.Options(events, partitions, streams, repetitions,
                        streamThreads, seed, warmup, config.settings(spec.commandLine(), new java.util.Properties()).all()), workDir, err).run();
                out.print(json ? brokerJson(r) + "\n" : brokerTable(r));
            }
            out.flush();
            return 0;
        } catch (EmbeddedKafka.BrokerStartException | StartupException | IllegalStateException
                 | BrokerBench.InvalidSettingsException e) {
            err.println("bench: " + e.getMessage());
            return 1;
        } finally {
            Utils.delete(workDir.toFile());
        }
    }

    private void validate() {
        CommandLine cmd = spec.commandLine();
        if (!failover && (restartAfter != null || sigterm)) {
            throw new CommandLine.ParameterException(cmd, "--restart-after and --sigterm go with --failover");
        }
        if (failover) {
            if (sessions != null) {
                throw new CommandLine.ParameterException(cmd, "--failover and --sessions are two different benchmarks: pick one");
            }
            if (restartAfter != null && restartAfter < 0) {
                throw new CommandLine.ParameterException(cmd, "--restart-after must not be negative, got " + restartAfter);
            }
            if (repetitions <= 0) {
                throw new CommandLine.ParameterException(cmd, "--repetitions must be positive, got " + repetitions);
            }
            return;
        }
        if (sessions != null) {
            if (sessions <= 0) {
                throw new CommandLine.ParameterException(cmd, "--sessions must be positive, got " + sessions);
            }
            if (ticks <= 0) {
                throw new CommandLine.ParameterException(cmd, "--ticks must be positive, got " + ticks);
            }
            return;
        }
        if (events <= 0) {
            throw new CommandLine.ParameterException(cmd, "--events must be positive, got " + events);
        }
        if (partitions <= 0) {
            throw new CommandLine.ParameterException(cmd, "--partitions must be positive, got " + partitions);
        }
        if (streams <= 0) {
            throw new CommandLine.ParameterException(cmd, "--streams must be positive, got " + streams);
        }
        if (repetitions <= 0) {
            throw new CommandLine.ParameterException(cmd, "--repetitions must be positive, got " + repetitions);
        }
        if (warmup < 0) {
            throw new CommandLine.ParameterException(cmd, "--warmup must not be negative, got " + warmup);
        }
        if (streamThreads <= 0) {
            throw new CommandLine.ParameterException(cmd, "--stream-threads must be positive, got " + streamThreads);
        }
    }

    private static String brokerTable(BrokerBench.Result r) {
        BrokerBench.Options o = r.options();
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "metering bench: %,d events, %,d concurrent streams, %d partitions, %d stream thread%s; "
                        + "medians of %d repetition%s%s%n", r.load().events(), o.streams(), o.partitions(), o.streamThreads(),
                o.streamThreads() == 1 ? "" : "s", o.repetitions(), o.repetitions() == 1 ? "" : "s",
                o.warmupEvents() > 0 ? String.format(Locale.ROOT, " after an untimed warm-up (%,d events per app and guarantee)",
                        Math.min(o.warmupEvents(), r.load().events())) : ""));
        s.append("machine: ").append(Machine.describe()).append("; broker and apps in one process\n\n");
        s.append(String.format(Locale.ROOT, "%-16s %14s %14s %10s %14s %10s   %s%n", "guarantee", "pass-through", "metering",
                "ratio", "no-op", "m / no-op", "per repetition (pass-through / metering / no-op, events/s)"));
        for (Guarantee g : Guarantee.values()) {
            double pt = r.medianEps(App.PASSTHROUGH, g);
            double m = r.medianEps(App.METERING, g);
            double noop = r.medianEps(App.NOOP, g);
            StringBuilder reps = new StringBuilder();
            List<BrokerBench.Run> pts = r.runs(App.PASSTHROUGH, g);
            List<BrokerBench.Run> ms = r.runs(App.METERING, g);
            List<BrokerBench.Run> noops = r.runs(App.NOOP, g);
            for (int i = 0; i < pts.size(); i++) {
                reps.append(String.format(Locale.ROOT, "%s%,.0f / %,.0f / %,.0f", i == 0 ? "" : ";  ", pts.get(i).eventsPerSecond(),
                        ms.get(i).eventsPerSecond(), noops.get(i).eventsPerSecond()));
            }
            s.append(String.format(Locale.ROOT, "%-16s %,14.0f %,14.0f %10.2f %,14.0f %10.2f   %s%n", g.config, pt, m, m / pt,
                    noop, m / noop, reps));
        }
        double consumer = r.consumerEps();
        double meteringAlos = r.medianEps(App.METERING, Guarantee.AT_LEAST_ONCE);
        StringBuilder consumerReps = new StringBuilder();
        for (BrokerBench.ConsumerRun run : r.consumerRuns()) {
            consumerReps.append(String.format(Locale.ROOT, "%s%,.0f", consumerReps.length() == 0 ? "" : ";  ",
                    run.eventsPerSecond()));
        }
        double noopAlos = r.medianEps(App.NOOP, Guarantee.AT_LEAST_ONCE);
        s.append(String.format(Locale.ROOT, "%-16s %,14.0f %,14.0f %10.2f %,14.0f %10.2f   %s (plain consumer, no group, %s; "
                        + "columns: consumer, metering at_least_once, their ratio, no-op at_least_once, no-op / consumer: "
                        + "the most any Kafka Streams app reaches)%n",
                "plain consumer", consumer, meteringAlos, meteringAlos / consumer, noopAlos, noopAlos / consumer,
                consumerReps, r.consumerIsolation()));
        s.append(String.format(Locale.ROOT, "%nstream thread busy (CPU time over the run, medians): %s%n", busyLine(r)));
        s.append(String.format(Locale.ROOT, "%nmetering tick (punctuation) latency: p50 %.2f ms, p99 %.2f ms "
                        + "(median over runs; per run: median of the session tasks' p50, max of their p99)%n",
                tickP50(r), tickP99(r)));
        s.append(String.format(Locale.ROOT, "peak heap in use: %,d MB (pass-through runs), %,d MB (metering runs); "
                        + "peak process RSS %,d MB (broker + apps)%n",
                peakHeap(r, App.PASSTHROUGH) >> 20, peakHeap(r, App.METERING) >> 20, Machine.peakRss() >> 20));
        s.append(String.format(Locale.ROOT, "load: %,.0f events/s; whole benchmark %.0f s%n", r.load().eventsPerSecond(),
                r.totalSeconds()));
        return s.toString();
    }

    /** Each app's and guarantee's median stream-thread busy share, e.g. {@code metering at_least_once 97%}. */
    private static String busyLine(BrokerBench.Result r) {
        StringBuilder s = new StringBuilder();
        for (Guarantee g : Guarantee.values()) {
            for (App app : App.values()) {
                s.append(String.format(Locale.ROOT, "%s%s %s %.0f%%", s.length() == 0 ? "" : ", ", app.label, g.shortName,
                        100 * busy(r, app, g)));
            }
        }
        return s.toString();
    }

    private static double busy(BrokerBench.Result r, App app, Guarantee g) {
        return Stats.median(r.runs(app, g).stream().map(BrokerBench.Run::streamThreadBusy).toList());
    }

    private static double tickP50(BrokerBench.Result r) {
        return Stats.median(r.runs().stream().filter(x -> x.app() == App.METERING).map(BrokerBench.Run::tickP50Ms).toList());
    }

    private static double tickP99(BrokerBench.Result r) {
        return Stats.median(r.runs().stream().filter(x -> x.app() == App.METERING).map(BrokerBench.Run::tickP99Ms).toList());
    }

    private static long peakHeap(BrokerBench.Result r, App app) {
        return r.runs().stream().filter(x -> x.app() == app).mapToLong(BrokerBench.Run::peakHeapBytes).max().orElse(0);
    }

    private static String brokerJson(BrokerBench.Result r) {
        return json(g -> {
            BrokerBench.Options o = r.options();
            g.writeNumberField("events", r.load().events());
            g.writeNumberField("partitions", o.partitions());
            g.writeNumberField("streams", o.streams());
            g.writeNumberField("repetitions", o.repetitions());
            g.writeNumberField("stream_threads", o.streamThreads());
            g.writeNumberField("warmup_events", Math.min(o.warmupEvents(), r.load().events()));
            for (Guarantee q : Guarantee.values()) {
                double pt = r.medianEps(App.PASSTHROUGH, q);
                double m = r.medianEps(App.METERING, q);
                double noop = r.medianEps(App.NOOP, q);
                g.writeNumberField("passthrough_" + q.shortName + "_eps", Math.round(pt));
                g.writeNumberField("metering_" + q.shortName + "_eps", Math.round(m));
                number(g, "ratio_" + q.shortName, round(m / pt, 3));
                g.writeNumberField("noop_" + q.shortName + "_eps", Math.round(noop));
                number(g, "ratio_noop_" + q.shortName, round(m / noop, 3));
                for (App app : App.values()) {
                    number(g, "busy_" + app.name().toLowerCase(Locale.ROOT) + "_" + q.shortName, round(busy(r, app, q), 3));
                }
            }
            double consumer = r.consumerEps();
            g.writeNumberField("consumer_eps", Math.round(consumer));
            number(g, "ratio_consumer", round(r.medianEps(App.METERING, Guarantee.AT_LEAST_ONCE) / consumer, 3));
            number(g, "ratio_noop_consumer", round(r.medianEps(App.NOOP, Guarantee.AT_LEAST_ONCE) / consumer, 3));
            g.writeStringField("consumer_isolation_level", r.consumerIsolation());
            number(g, "punctuate_p50_ms", round(tickP50(r), 3));
            number(g, "punctuate_p99_ms", round(tickP99(r), 3));
            g.writeNumberField("peak_heap_mb", Math.max(peakHeap(r, App.PASSTHROUGH), peakHeap(r, App.METERING)) >> 20);
            g.writeNumberField("peak_rss_mb", Machine.peakRss() >> 20);
            g.writeNumberField("cores", Machine.cores());
            g.writeStringField("machine", Machine.describe());
            g.writeNumberField("load_eps", Math.round(r.load().eventsPerSecond()));
            number(g, "total_seconds", round(r.totalSeconds(), 1));
            g.writeArrayFieldStart("runs");
            for (BrokerBench.Run run : r.runs()) {
                g.writeStartObject();
                g.writeStringField("app", run.app().label);
                g.writeStringField("guarantee", run.guarantee().config);
                g.writeNumberField("repetition", run.repetition());
                g.writeNumberField("eps", Math.round(run.eventsPerSecond()));
                number(g, "seconds", round(run.seconds(), 3));
                number(g, "startup_seconds", round(run.startupSeconds(), 2));
                g.writeNumberField("peak_heap_mb", run.peakHeapBytes() >> 20);
                g.writeNumberField("peak_rss_mb", run.peakRssBytes() >> 20);
                number(g, "stream_thread_busy", round(run.streamThreadBusy(), 3));
                number(g, "process_cores", round(run.processCores(), 2));
                if (run.app() == App.METERING) {
                    number(g, "tick_p50_ms", round(run.tickP50Ms(), 3));
                    number(g, "tick_p99_ms", round(run.tickP99Ms(), 3));
                    g.writeNumberField("ticks", run.ticks());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("consumer_runs");
            for (BrokerBench.ConsumerRun run : r.consumerRuns()) {
                g.writeStartObject();
                g.writeNumberField("repetition", run.repetition());
                g.writeNumberField("eps", Math.round(run.eventsPerSecond()));
                number(g, "seconds", round(run.seconds(), 3));
                number(g, "startup_seconds", round(run.startupSeconds(), 2));
                g.writeNumberField("value_bytes", run.valueBytes());
                g.writeEndObject();
            }
            g.writeEndArray();
        });
    }

    private static String failoverTable(FailoverBench.Result r) {
        FailoverBench.Options o = r.options();
        boolean restart = o.restart();
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "metering bench --failover: two 'metering topology' processes, 4 partitions, %d streams at %.0f deltas/s; "
                        + "the stats combiner's host stopped with %s, %s; %d repetition%s%s%n",
                FailoverBench.STREAMS, FailoverBench.RATE, o.signal(),
                restart ? "restarted on its state directory " + o.restartAfterSeconds() + " s later" : "never restarted",
                o.repetitions(), o.repetitions() == 1 ? "" : "s", o.extraConfig().isBlank() ? "" : "; settings added: "
                        + o.extraConfig().strip().replace("\n", ", ")));
        s.append("machine: ").append(Machine.describe()).append("; broker in this process, each instance a child JVM\n\n");
        s.append(String.format(Locale.ROOT, "%-10s %5s %10s %12s %15s %20s", "", "host", "gap (s)", "stop -> (s)",
                restart ? "restart -> (s)" : "", restart ? "gap after restart (s)" : "").stripTrailing()).append('\n');
        for (FailoverBench.Run run : r.runs()) {
            s.append(String.format(Locale.ROOT, "%-10s %5s %10.1f %12.1f %15s %20s", "run " + run.repetition(), "p" + run.host(),
                    run.gapMs() / 1000.0, run.stopToFirstMs() / 1000.0,
                    restart ? String.format(Locale.ROOT, "%.1f", run.restartToFirstMs() / 1000.0) : "",
                    restart ? String.format(Locale.ROOT, "%.1f", run.largestGapAfterRestartMs() / 1000.0) : "").stripTrailing()).append('\n');
        }
        s.append(String.format(Locale.ROOT, "%-10s %5s %10.1f %12.1f %15s %20s", "median", "",
                r.medianSeconds(FailoverBench.Run::gapMs), r.medianSeconds(FailoverBench.Run::stopToFirstMs),
                restart ? String.format(Locale.ROOT, "%.1f", r.medianSeconds(FailoverBench.Run::restartToFirstMs)) : "",
                restart ? String.format(Locale.ROOT, "%.1f", r.medianSeconds(FailoverBench.Run::largestGapAfterRestartMs)) : "").stripTrailing()).append('\n');
        s.append("\ngap: last stats record before the stop -> first after; stop ->" + (restart ? " and restart ->" : "")
                + ": to the first record with a later tick\n");
        return s.toString();
    }

    private static String failoverJson(FailoverBench.Result r) {
        return json(g -> {
            FailoverBench.Options o = r.options();
            g.writeStringField("signal", o.signal());
            if (o.restart()) {
                g.writeNumberField("restart_after_seconds", o.restartAfterSeconds());
            } else {
                g.writeNullField("restart_after_seconds");
            }
            g.writeNumberField("repetitions", o.repetitions());
            g.writeNumberField("streams", FailoverBench.STREAMS);
            number(g, "gap_seconds", round(r.medianSeconds(FailoverBench.Run::gapMs), 2));
            number(g, "stop_to_first_seconds", round(r.medianSeconds(FailoverBench.Run::stopToFirstMs), 2));
            if (o.restart()) {
                number(g, "restart_to_first_seconds", round(r.medianSeconds(FailoverBench.Run::restartToFirstMs), 2));
                number(g, "largest_gap_after_restart_seconds", round(r.medianSeconds(FailoverBench.Run::largestGapAfterRestartMs), 2));
            }
            g.writeStringField("machine", Machine.describe());
            g.writeArrayFieldStart("runs");
            for (FailoverBench.Run run : r.runs()) {
                g.writeStartObject();
                g.writeNumberField("repetition", run.repetition());
                g.writeNumberField("host", run.host());
                number(g, "gap_seconds", round(run.gapMs() / 1000.0, 2));
                number(g, "stop_to_first_seconds", round(run.stopToFirstMs() / 1000.0, 2));
                if (o.restart()) {
                    number(g, "restart_to_first_seconds", round(run.restartToFirstMs() / 1000.0, 2));
                    number(g, "largest_gap_after_restart_seconds", round(run.largestGapAfterRestartMs() / 1000.0, 2));
                }
                g.writeNumberField("records", run.records());
                g.writeEndObject();
            }
            g.writeEndArray();
        });
    }

    private static String ticksTable(TickBench.Result r, RestoreBench.Result restore, long peakHeap) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "metering bench --sessions: one task, %,d live sessions, %,d timed ticks (%,d deltas between two ticks)%n"
                        + "machine: %s%n%n"
                        + "tick: p50 %.2f ms, p99 %.2f ms, max %.2f ms (wall clock)%n"
                        + "      p50 %.2f ms, p99 %.2f ms, max %.2f ms (CPU time of the tick's thread: without preemption by other processes)%n"
                        + "store value: %d bytes per session; heap: %.0f bytes per live session (the processor's in-memory mirror: "
                        + "heap in use after full GCs, after filling the task minus before)%n",
                r.options().sessions(), r.options().ticks(), r.options().deltasPerTick(), Machine.describe(),
                r.quantile(0.50), r.quantile(0.99), r.quantile(1.0), r.cpuQuantile(0.50), r.cpuQuantile(0.99),
                r.cpuQuantile(1.0), r.storeValueBytes(), r.heapBytesPerSession()));
        if (restore != null) {
            s.append(String.format(Locale.ROOT, "%nrestore from the changelog (%s, one partition, fresh state dir; broker and app in one process):%n"
                            + "  %,d sessions, %.1f MB of changelog on the broker, restored in %.2f s: %,.0f records/s, %.1f MB/s%n"
                            + "  from start(): restore began after %.2f s and ended after %.2f s; the session processor's init began after %.2f s "
                            + "(it then rebuilds its in-memory mirror from the store); RUNNING after %.2f s;%n"
                            + "  first tick after %.2f s (it took %.1f ms; ticks wait for the next whole second); first stats record after %.2f s (active %,d)%n"
                            + "  heap of the restored app: %.0f bytes per session (after full GCs, minus before start; approximate: the broker shares the heap)%n",
                    restore.guarantee(), restore.restored(), restore.changelogBytes() / 1e6, restore.restoreSeconds(),
                    restore.recordsPerSecond(), restore.megabytesPerSecond(), restore.restoreStart(), restore.restoreEnd(),
                    restore.processorInit(), restore.running(),
                    restore.firstTick(), restore.firstTickMs(), restore.firstStats(), restore.firstStatsActive(),
                    restore.heapBytesPerSession()));
        }
        s.append(String.format(Locale.ROOT, "%nper-task session cap: %s%n", r.sessionCap() < 0 ? "none in this build"
                : String.format(Locale.ROOT, "raised to %,d (%s)", r.sessionCap(), TickBench.MAX_SESSIONS_PER_TASK)));
        s.append(String.format(Locale.ROOT, "peak heap in use %,d MB (sampled every 10 ms); peak process RSS %,d MB%s%n",
                peakHeap >> 20, Machine.peakRss() >> 20, restore == null ? "" : " (broker included)"));
        return s.toString();
    }

    private static String ticksJson(TickBench.Result r, RestoreBench.Result restore, long peakHeap) {
        return json(g -> {
            g.writeNumberField("sessions", r.options().sessions());
            g.writeNumberField("ticks", r.options().ticks());
            number(g, "tick_p50_ms", round(r.quantile(0.50), 3));
            number(g, "tick_p99_ms", round(r.quantile(0.99), 3));
            number(g, "tick_max_ms", round(r.quantile(1.0), 3));
            number(g, "tick_cpu_p50_ms", round(r.cpuQuantile(0.50), 3));
            number(g, "tick_cpu_p99_ms", round(r.cpuQuantile(0.99), 3));
            g.writeNumberField("store_value_bytes_per_session", r.storeValueBytes());
            g.writeNumberField("heap_bytes_per_session", Math.round(r.heapBytesPerSession()));
            if (r.sessionCap() < 0) {
                g.writeNullField("max_sessions_per_task");
            } else {
                g.writeNumberField("max_sessions_per_task", r.sessionCap());
            }
            if (restore != null) {
                g.writeStringField("restore_guarantee", restore.guarantee());
                g.writeNumberField("restore_records", restore.restored());
                number(g, "restore_changelog_mb", round(restore.changelogBytes() / 1e6, 1));
                number(g, "restore_seconds", round(restore.restoreSeconds(), 3));
                g.writeNumberField("restore_records_per_second", Math.round(restore.recordsPerSecond()));
                number(g, "restore_mb_per_second", round(restore.megabytesPerSecond(), 1));
                number(g, "restore_start_seconds", round(restore.restoreStart(), 3));
                number(g, "restore_end_seconds", round(restore.restoreEnd(), 3));
                number(g, "processor_init_seconds", round(restore.processorInit(), 3));
                number(g, "running_seconds", round(restore.running(), 3));
                number(g, "first_tick_seconds", round(restore.firstTick(), 3));
                number(g, "first_tick_ms", round(restore.firstTickMs(), 3));
                number(g, "first_stats_seconds", round(restore.firstStats(), 3));
                g.writeNumberField("first_stats_active", restore.firstStatsActive());
                g.writeNumberField("restored_heap_bytes_per_session", Math.round(restore.heapBytesPerSession()));
                number(g, "changelog_fill_seconds", round(restore.fillSeconds(), 2));
            }
            g.writeNumberField("peak_heap_mb", peakHeap >> 20);
            g.writeNumberField("peak_rss_mb", Machine.peakRss() >> 20);
            g.writeNumberField("cores", Machine.cores());
            g.writeStringField("machine", Machine.describe());
        });
    }

    private interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    private static String json(Fields fields) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    /** A number, or null where there is none (NaN): JSON has no NaN. */
    private static void number(JsonGenerator g, String name, double x) throws IOException {
        if (Double.isNaN(x) || Double.isInfinite(x)) {
            g.writeNullField(name);
        } else {
            g.writeNumberField(name, x);
        }
    }

    private static double round(double x, int decimals) {
        if (Double.isNaN(x) || Double.isInfinite(x)) {
            return x;
        }
        double f = Math.pow(10, decimals);
        return Math.round(x * f) / f;
    }
}
