package dev.llmmeter.cli;

import picocli.CommandLine;

import java.io.PrintWriter;
import picocli.CommandLine.Command;

/** {@code bin/metering}: the one entry point, with a subcommand per job. */
@Command(name = "metering",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        usageHelpAutoWidth = true,
        description = {
            "Meters LLM token streams on Kafka: tokens per second across concurrent streams, with the seed meter's semantics, published as global stats once a second.",
            "",
            "Run 'metering <command> --help' for a command's options."
        },
        subcommands = {RunCommand.class, ReplayCommand.class, TopologyCommand.class, SimulateCommand.class, BenchCommand.class,
            TailCommand.class, BrokerCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return new CommandLine(new Main())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setParameterExceptionHandler(Main::usageError);
    }

    /** A usage error is one line and a pointer to --help, not the whole usage text. */
    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Run '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws java.io.IOException {
            java.util.Properties p = new java.util.Properties();
            try (var in = Main.class.getResourceAsStream("/metering-version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"metering " + p.getProperty("version", "(unknown)")
                    + " (Kafka " + p.getProperty("kafka", "(unknown)") + ")"};
        }
    }
}
