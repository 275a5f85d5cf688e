package dev.llmmeter.app;

import dev.llmmeter.app.ClusterCheck;
import dev.llmmeter.contract.RecentTicks;
import dev.llmmeter.app.StartupException;
import dev.llmmeter.app.StatsTail;
import dev.llmmeter.contract.Insight;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.topology.MeteringConfig;
import org.apache.kafka.common.errors.WakeupException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

@Command(name = "tail",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Show the live stats: a terminal view updated in place, or JSON lines.",
        description = {
            "A downstream consumer of metering.stats and metering.insights (read_committed, no consumer group). Each tick is shown once: a record repeating one of the last 600 ticks (at-least-once can publish a tick twice) is skipped. The view shows the tick time, TPS, high, low, active streams, then from the tick's global insights record the time to first token (TTFT) p50 and p99 in ms and the system's tokens per second (the last tick's until it comes; '-' when there is none: no first delta in the last minute), and a sparkline of the last minute's TPS, redrawn in place each second. The line fits in one column less than the terminal's width ($COLUMNS, else stty size; 80 without a terminal): as it narrows, the sparkline shortens and goes, then the TTFT and system figures. With --json, each stats record is printed as it arrives, one JSON line each, and nothing else goes to stdout.",
            "",
            "With --group GROUP (global, model:NAME or tenant:NAME), only that group's insights records are read: the view shows its active streams, TPS, system tokens/s, TTFT and inter-delta latency (ITL) p50/p99 and the begins and ends of the last minute; with --json each of its records is printed as published, one JSON line each. A group publishes while it has live streams or activity in the last minute.",
            "",
            "The topics are looked at every 5 s: one deleted, recreated or given more partitions under the tail is followed (a recreated topic and new partitions are read from their beginning), and each change is said once on stderr. Runs until SIGTERM or Ctrl-C, or --max-records.",
            "",
            "Settings (security included) come from --config and METERING_* environment variables, as for 'topology'."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped (SIGTERM, Ctrl-C or --max-records)", "1:failed (cluster unreachable, authentication failed, or the topic missing, at start)", "2:bad usage or settings"})
public final class TailCommand implements Callable<Integer> {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    private ClusterOptions cluster;

    @Option(names = "--json", description = "Print each stats record as a JSON line instead of the live view.")
    private boolean json;

    @Option(names = "--history", defaultValue = "60", paramLabel = "N",
            description = "Start with the last N stats records (and the insights of the last N seconds), in the view and with --json alike; 0 starts at the end (default: ${DEFAULT-VALUE}).")
    private int history;

    @Option(names = "--max-records", defaultValue = "0", paramLabel = "N", description = "Exit after N records (default: run until Ctrl-C).")
    private long maxRecords;

    @Option(names = "--group", paramLabel = "GROUP",
            description = "Show one group of the insights instead of the stats: global, model:NAME or tenant:NAME.")
    private String group;

    @Override
    public Integer call() {
        if (history < 0 || maxRecords < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--history and --max-records must not be negative");
        }
        if (group != null && !isGroupKey(group)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--group must be global, model:NAME or tenant:NAME (NAME 1-256 characters), got '" + group + "'");
        }
        Settings layered = cluster.requireCluster(spec.commandLine(), new Properties()); // as for topology
        Properties settings = layered.all();
        ClusterCheck.missingCredentials(settings).ifPresent(problem -> {
            throw new CommandLine.ParameterException(spec.commandLine(), problem);
        });
        ServiceMain.requireValidKafka(spec.commandLine(), layered);
        MeteringConfig meteringConfig = layered.metering();
        // SIGTERM and Ctrl-C stop the tail, which then exits 0 (the JVM's default handling would exit 143 or 130).
        AtomicReference<StatsTail> running = new AtomicReference<>();
        AtomicBoolean stopping = new AtomicBoolean();
        StopSignals.install(() -> {
            stopping.set(true);
            StatsTail t = running.get();
            if (t != null) {
                t.wakeup();
            }
        });
        try {
            ClusterCheck.await(settings, CONNECT_TIMEOUT);
        } catch (StartupException e) {
            if (stopping.get()) {
                return 0;
            }
            System.err.println("metering tail: " + e.getMessage());
            return 1;
        }
        // The view reads the insights beside the stats; --json prints the stats alone.
        String statsTopic = group == null ? meteringConfig.statsTopic() : null;
        String insightsTopic = group != null || !json ? meteringConfig.insightsTopic() : null;
        try (StatsTail tail = new StatsTail(settings, statsTopic, insightsTopic)
                .notices(notice -> System.err.println("metering tail: " + notice))) {
            running.set(tail);
            if (stopping.get()) {
                return 0;
            }
            tail.seekToLast(history, CONNECT_TIMEOUT);
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            if (group == null) {
                printTo(tail, out, json, maxRecords);
            } else {
                printGroup(tail, out, json, group, maxRecords);
            }
            return 0;
        } catch (WakeupException e) {
            return 0; // stopped while positioning
        } catch (StartupException e) {
            System.err.println("metering tail: " + e.getMessage());
            return 1;
        }
    }

    /**
     * Used by 'run' as well: JSON lines of the stats, or the in-place view (with the global insights when the tail
     * reads them); each tick once.
     */
    public static long printTo(StatsTail tail, PrintStream out, boolean json, long maxRecords) {
        long n = tail.run(json ? statsOnly(printer(out, true)) : view(out), maxRecords);
        if (!json) {
            out.println();
        }
        return n;
    }

    /**
     * One group's insights records (the record key is the group): JSON lines as published, or the group's line
     * redrawn in place; each tick once. Other groups' records, and the stats, are passed over.
     */
    public static long printGroup(StatsTail tail, PrintStream out, boolean json, String group, long maxRecords) {
        long n = tail.run(groupPrinter(out, json, group), maxRecords);
        if (!json) {
            out.println();
        }
        return n;
    }

    /** Whether {@code key} names an insights group: global, model:NAME or tenant:NAME, NAME 1-256 characters. */
    static boolean isGroupKey(String key) {
        if (key.equals(Topics.STATS_KEY)) {
            return true;
        }
        for (String prefix : new String[] {Topics.MODEL_KEY_PREFIX, Topics.TENANT_KEY_PREFIX}) {
            if (key.startsWith(prefix)) {
                int length = key.length() - prefix.length();
                return length >= 1 && length <= 256;
            }
        }
        return false;
    }

    private static StatsTail.Sink statsOnly(Predicate<byte[]> printer) {
        return (source, key, value) -> source == StatsTail.Source.STATS && printer.test(value);
    }

    /** The live view at this terminal's width. */
    static StatsTail.Sink view(PrintStream out) {
        return view(out, TerminalWidth.ofThisProcess());
    }

    /**
     * The live view: a stats record draws its line; the same tick's global insights record draws it again when it
     * changes it.
     */
    static StatsTail.Sink view(PrintStream out, java.util.function.IntSupplier columns) {
        RecentTicks shown = new RecentTicks();
        StatsView view = new StatsView(columns);
        return (source, key, value) -> {
            String line;
            if (source == StatsTail.Source.STATS) {
                Stats s = Topics.STATS.deserializeValue(value);
                if (!shown.firstTime(s.ts())) {
                    return false;
                }
                line = view.render(s);
            } else {
                if (key == null || !Topics.STATS_KEY.equals(new String(key, StandardCharsets.UTF_8))) {
                    return false;
                }
                Insight i = decodeOrNull(value);
                line = i == null ? null : view.render(i);
                if (line == null) {
                    return false;
                }
            }
            out.print("\r\u001b[2K" + line);
            out.flush();
            return source == StatsTail.Source.STATS; // --max-records counts ticks, not redraws
        };
    }

    static StatsTail.Sink groupPrinter(PrintStream out, boolean json, String group) {
        byte[] wanted = group.getBytes(StandardCharsets.UTF_8);
        RecentTicks shown = new RecentTicks();
        TerminalWidth columns = TerminalWidth.ofThisProcess();
        return (source, key, value) -> {
            if (source != StatsTail.Source.INSIGHTS || key == null || !java.util.Arrays.equals(key, wanted)) {
                return false;
            }
            Insight i = decodeOrNull(value);
            if (i != null && !shown.firstTime(i.ts())) {
                return false;
            }
            if (json) {
                out.println(new String(value, StandardCharsets.UTF_8)); // as published; --json hides nothing it cannot read
            } else if (i != null) {
                out.print("\r\u001b[2K" + StatsView.fit(StatsView.renderGroup(i), columns.getAsInt()));
                out.flush();
            } else {
                return false;
            }
            return true;
        };
    }

    private static Insight decodeOrNull(byte[] value) {
        try {
            return Topics.INSIGHTS.deserializeValue(value);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * Prints a stats record unless its tick was shown already (under at-least-once the topology may publish a
     * tick twice; see {@link RecentTicks}); tells whether it printed it. JSON lines are the record's bytes as
     * they are.
     */
    static Predicate<byte[]> printer(PrintStream out, boolean json) {
        RecentTicks shown = new RecentTicks();
        if (json) {
            return v -> {
                String line = new String(v, StandardCharsets.UTF_8);
                Long ts = tsOf(v);
                if (ts != null && !shown.firstTime(ts)) {
                    return false;
                }
                out.println(line);
                return true;
            };
        }
        StatsTail.Sink view = view(out);
        return v -> view.accept(StatsTail.Source.STATS, null, v);
    }

    /** The tick of a record, or null when it is not a stats record (printed as it is: --json hides nothing). */
    private static Long tsOf(byte[] value) {
        try {
            return Topics.STATS.deserializeValue(value).ts();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
