package dev.llmmeter.cli;

import dev.llmmeter.app.ServiceMain;
import dev.llmmeter.app.TailCommand;
import dev.llmmeter.app.TopologyCommand;
import dev.llmmeter.app.ServeCommand;
import dev.llmmeter.app.UsageCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bin/metering}: the one entry point for a developer, with a subcommand per job. The service's own
 * commands ({@code topology}, {@code tail}) come from the app module; the rest drive the development kit
 * (the in-process broker, the offline replay, the simulator, the benchmarks).
 */
@Command(name = "metering",
        mixinStandardHelpOptions = true,
        versionProvider = ServiceMain.Version.class,
        usageHelpAutoWidth = true,
        description = {
            "Meters LLM token streams on Kafka: tokens per second across concurrent streams, with the seed meter's semantics, published as global stats once a second.",
            "",
            "Run 'metering <command> --help' for a command's options."
        },
        subcommands = {RunCommand.class, ReplayCommand.class, TopologyCommand.class, SimulateCommand.class, BenchCommand.class,
            TailCommand.class, ServeCommand.class, UsageCommand.class, BrokerCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return ServiceMain.configure(new CommandLine(new Main()));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }
}
