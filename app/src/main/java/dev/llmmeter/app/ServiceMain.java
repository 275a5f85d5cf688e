package dev.llmmeter.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The service image's entry point: the commands that run in production, and nothing of the development kit
 * (no broker, no replay, no benchmarks). {@code bin/metering} offers the same commands beside those.
 */
@Command(name = "metering",
        mixinStandardHelpOptions = true,
        versionProvider = ServiceMain.Version.class,
        usageHelpAutoWidth = true,
        description = {
            "The metering service: the Kafka Streams app that meters LLM token streams, and a consumer of its stats.",
            "",
            "Run 'metering <command> --help' for a command's options."
        },
        subcommands = {TopologyCommand.class, TailCommand.class, ServeCommand.class, UsageCommand.class, CommandLine.HelpCommand.class})
public final class ServiceMain implements Runnable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ServiceMain.class);
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(configure(new CommandLine(new ServiceMain())).execute(args));
    }

    /** The service's command line, for tests that run a command in-process. */
    public static CommandLine commandLine() {
        return configure(new CommandLine(new ServiceMain()));
    }

    /**
     * How every metering command line behaves: case-insensitive enums, one-line usage errors, and one line (exit 1)
     * for anything a command did not handle itself, such as a permission revoked under a running consumer.
     */
    public static CommandLine configure(CommandLine cmd) {
        return cmd.setCaseInsensitiveEnumValuesAllowed(true)
                .setParameterExceptionHandler(ServiceMain::usageError)
                .setExecutionExceptionHandler(ServiceMain::failure);
    }

    /**
     * A failure no command caught: one line on stderr, its message's secrets masked ({@link MeteringApp#rootMessage}),
     * exit 1; the stack trace goes to the log at DEBUG only (METERING_LOG_LEVEL=DEBUG shows it).
     */
    static int failure(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        LOG.debug("{} failed", cmd.getCommandSpec().qualifiedName(), e);
        String what = e instanceof org.apache.kafka.common.KafkaException ? "" : e.getClass().getSimpleName() + ": ";
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandSpec().qualifiedName() + ": failed: " + what + MeteringApp.rootMessage(e));
        err.flush();
        return 1;
    }

    /** A usage error is one line and a pointer to --help, not the whole usage text. */
    static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + Secrets.redactValues(e.getMessage()));
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Run '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /**
     * A command's settings: defaults, the {@code --config} file, {@code METERING_*} environment variables, then
     * its flags. A bad file or value is a usage error that names it.
     */
    public static Settings settings(CommandLine cmd, Path file, Properties flags) {
        try {
            Settings settings = Settings.load(file, System.getenv(), flags);
            Secrets.register(settings.all()); // before any client quotes one of them in an error
            return settings;
        } catch (Settings.SettingsException e) {
            throw new CommandLine.ParameterException(cmd, e.getMessage());
        }
    }

    /**
     * Every Kafka setting checked as the clients will check it ({@link Settings#requireValidKafka}), so that every
     * command refuses the same bad setting the same way: a usage error, exit 2, before it connects or writes.
     */
    public static void requireValidKafka(CommandLine cmd, Settings settings) {
        try {
            settings.requireValidKafka();
        } catch (Settings.SettingsException e) {
            throw new CommandLine.ParameterException(cmd, e.getMessage());
        }
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /** "metering 0.1.0-SNAPSHOT (Kafka 4.4.0)", from the properties Maven writes at build time. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = ServiceMain.class.getResourceAsStream("/metering-version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"metering " + p.getProperty("version", "(unknown)")
                    + " (Kafka " + p.getProperty("kafka", "(unknown)") + ")"};
        }
    }
}
