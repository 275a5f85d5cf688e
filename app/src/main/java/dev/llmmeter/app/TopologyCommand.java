package dev.llmmeter.app;

import dev.llmmeter.app.MeteringApp;
import dev.llmmeter.app.Settings;
import dev.llmmeter.app.StartupException;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.Callable;

@Command(name = "topology",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Run the metering Kafka Streams app against a Kafka cluster.",
        description = {
            "Reads delta events from metering.deltas, publishes global stats to metering.stats once a second and dead-letters invalid input to metering.deltas.dlq, creating those topics when missing. Runs until SIGTERM or Ctrl-C, then closes cleanly.",
            "",
            "Before it starts, it checks that the cluster answers and that its principal may do what the app does (its topics, the internal topics prefixed with the application id, its consumer group, its transactional ids); a failure, then or while running, is one line on stderr naming what is wrong or missing, with no stack trace and no secret value.",
            "",
            "Settings, lowest precedence first: built-in defaults (exactly_once_v2, application id llm-metering), the --config properties file, METERING_* environment variables (METERING_SASL_JAAS_CONFIG sets sasl.jaas.config; METERING_STALE_MS sets metering.stale.ms), then these flags. Any Kafka client or Streams setting passes through, security included; each is checked by Kafka's own validators before the app connects.",
            "",
            "Run more instances with the same application id to scale out; the input topic's partition count bounds how many are useful. That count is fixed once the app has run: after partitions are added it refuses to start, saying how to reset (README, Scaling out). Existing topics with settings the topology cannot work with (a compacted dead-letter topic) are refused the same way; unusual ones (a metering.streams that is not compacted, ...) are warned of."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped cleanly (SIGTERM or Ctrl-C, also while still waiting for the cluster)",
            "1:failed (unreachable cluster, failed authentication, missing permission, input partitions added, an existing topic it cannot use, fatal processing error)",
            "2:bad usage or settings (any Kafka, Streams or metering setting, or an unknown METERING_* variable), before anything is written"})
public final class TopologyCommand implements Callable<Integer> {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    private ClusterOptions cluster;

    @Option(names = "--application-id", paramLabel = "ID", description = "Kafka Streams application id (consumer group, internal topic prefix); default llm-metering.")
    private String applicationId;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Local state directory; default ~/.metering/state.")
    private Path stateDir;

    @Override
    public Integer call() throws InterruptedException {
        Properties flags = new Properties();
        if (applicationId != null) {
            flags.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        }
        if (stateDir != null) {
            flags.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        }
        Settings settings = cluster.settings(spec.commandLine(), flags);
        MeteringApp app;
        try {
            app = new MeteringApp(settings);
        } catch (StartupException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        // SIGTERM/Ctrl-C close the app and let this method return 0; the hook covers any other way out.
        AtomicReference<String> signal = StopSignals.install(app::close);
        Thread hook = new Thread(app::close, "metering-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        boolean failed;
        try {
            if (app.start()) {
                System.err.println("metering: running (application id "
                        + app.streamsProperties().getProperty(StreamsConfig.APPLICATION_ID_CONFIG) + "); Ctrl-C to stop");
            }
            failed = app.awaitStop();
        } catch (StartupException e) {
            System.err.println("metering: " + e.getMessage());
            app.close();
            return 1;
        } catch (RuntimeException | InterruptedException | Error e) {
            app.close();
            throw e;
        }
        boolean closed = app.stop();
        if (failed) {
            if (app.failureLine() != null) {
                System.err.println("metering: " + app.failureLine());
            }
            return 1;
        }
        if (!closed) {
            System.err.println("metering: did not close within " + MeteringApp.CLOSE_TIMEOUT.toSeconds() + " s");
            return 1;
        }
        System.err.println("metering: stopped cleanly" + (signal.get() == null ? "" : " on " + signal.get()));
        return 0;
    }
}
