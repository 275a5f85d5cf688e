package dev.llmmeter.app;

import dev.llmmeter.app.ClusterCheck;
import dev.llmmeter.app.RecentTicks;
import dev.llmmeter.app.StartupException;
import dev.llmmeter.app.StatsTail;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.StatsCodec;
import dev.llmmeter.topology.MeteringConfig;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

@Command(name = "tail",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Show the live stats: a terminal view updated in place, or JSON lines.",
        description = {
            "A downstream consumer of metering.stats (read_committed, no consumer group). Each tick is shown once: a record repeating one of the last 600 ticks (at-least-once can publish a tick twice) is skipped. The view shows the tick time, TPS, high, low, active streams and a sparkline of the last minute's TPS, redrawn in place each second. With --json, each stats record is printed as it arrives, one JSON line each, and nothing else goes to stdout.",
            "",
            "Settings (security included) come from --config and METERING_* environment variables, as for 'topology'."
        })
public final class TailCommand implements Callable<Integer> {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]", description = "Kafka cluster to connect to.")
    private String bootstrapServers;

    @Option(names = "--config", paramLabel = "FILE", description = "Kafka-style properties file (client and security settings, metering.topic.stats).")
    private Path config;

    @Option(names = "--json", description = "Print each stats record as a JSON line instead of the live view.")
    private boolean json;

    @Option(names = "--history", defaultValue = "60", paramLabel = "N", description = "Start this many records before the end (default: ${DEFAULT-VALUE}).")
    private int history;

    @Option(names = "--max-records", defaultValue = "0", paramLabel = "N", description = "Exit after N records (default: run until Ctrl-C).")
    private long maxRecords;

    @Override
    public Integer call() {
        if (history < 0 || maxRecords < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--history and --max-records must not be negative");
        }
        Properties flags = new Properties();
        if (bootstrapServers != null) {
            flags.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        }
        Settings layered = ServiceMain.settings(spec.commandLine(), config, flags); // as for topology
        Properties settings = layered.all();
        if (layered.bootstrapServers().isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "no bootstrap servers: pass --bootstrap-servers or set METERING_BOOTSTRAP_SERVERS");
        }
        ClusterCheck.missingCredentials(settings).ifPresent(problem -> {
            throw new CommandLine.ParameterException(spec.commandLine(), problem);
        });
        MeteringConfig meteringConfig = layered.metering();
        try {
            ClusterCheck.await(settings, CONNECT_TIMEOUT);
        } catch (StartupException e) {
            System.err.println("metering tail: " + e.getMessage());
            return 1;
        }
        Thread hook = null;
        try (StatsTail tail = new StatsTail(settings, meteringConfig.statsTopic())) {
            Thread main = Thread.currentThread();
            hook = new Thread(() -> {
                tail.wakeup();
                try {
                    main.join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "metering-tail-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            tail.seekToLast(json ? 0 : history, CONNECT_TIMEOUT);
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            printTo(tail, out, json, maxRecords);
            return 0;
        } catch (StartupException e) {
            System.err.println("metering tail: " + e.getMessage());
            return 1;
        } finally {
            if (hook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // shutting down (signal): the hook is running and waits for this thread
                }
            }
        }
    }

    /** Used by 'run' as well: JSON lines, or the in-place view; each tick once. */
    public static long printTo(StatsTail tail, PrintStream out, boolean json, long maxRecords) {
        long n = tail.run(printer(out, json), maxRecords);
        if (!json) {
            out.println();
        }
        return n;
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
        StatsView view = new StatsView();
        return v -> {
            Stats s = StatsCodec.decode(v);
            if (!shown.firstTime(s.ts())) {
                return false;
            }
            out.print("\r\u001b[2K" + view.render(s));
            out.flush();
            return true;
        };
    }

    /** The tick of a record, or null when it is not a stats record (printed as it is: --json hides nothing). */
    private static Long tsOf(byte[] value) {
        try {
            return StatsCodec.decode(value).ts();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
