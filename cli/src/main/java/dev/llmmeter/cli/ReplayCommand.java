package dev.llmmeter.cli;

import dev.llmmeter.topology.MeteringConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "replay",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Replay a trace of delta events offline and print the stats it produces.",
        description = {
            "Runs the real metering topology in Kafka's TopologyTestDriver (no broker) over a trace of delta events and prints each stats record as one JSON line on stdout. A summary (events, dead letters, out-of-order deltas) goes to stderr.",
            "",
            "The clock starts at floor(first ts / 1000) x 1000 and ticks every whole second; every event with ts <= T is applied before the tick at T; the last tick is the first one at or after the last event's ts + the tail. A line's key is its stream_id; a line without ts takes the time of the line before it; blank lines are skipped."
        },
        footer = {"", "Example:", "  metering replay --input trace.jsonl --dlq dead.jsonl > stats.jsonl"})
final class ReplayCommand implements Callable<Integer> {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "TRACE.jsonl",
            description = "Trace file: one delta event (wire JSON) per line, in time order; '-' reads stdin.")
    private String input;

    @Option(names = "--tail-seconds", defaultValue = "65", paramLabel = "N",
            description = "Keep ticking this many seconds past the last event (default: ${DEFAULT-VALUE}), so stale pruning and the idle record show.")
    private long tailSeconds;

    @Option(names = "--dlq", paramLabel = "FILE",
            description = "Write each dead-lettered line here as {\"reason\":..,\"detail\":..,\"value\":..}.")
    private Path dlq;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Properties file with metering.* settings (windows, topic names); other keys are ignored.")
    private Path config;

    @Override
    public Integer call() throws IOException {
        if (tailSeconds < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--tail-seconds must not be negative, got " + tailSeconds);
        }
        MeteringConfig meteringConfig = ConfigFiles.meteringConfig(spec.commandLine(), config);
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16));
        PrintWriter dlqOut = null;
        long started = System.nanoTime();
        try (BufferedReader trace = open(input)) {
            if (dlq != null) {
                dlqOut = new PrintWriter(Files.newBufferedWriter(dlq, StandardCharsets.UTF_8));
            }
            PrintWriter dead = dlqOut;
            Replayer.Summary s = new Replayer(meteringConfig, Duration.ofSeconds(tailSeconds))
                    .replay(trace, out::println, dead == null ? line -> { } : dead::println);
            out.flush();
            double seconds = (System.nanoTime() - started) / 1e9;
            System.err.printf(Locale.ROOT,
                    "replay: %d events, %d dead letters, %d out-of-order deltas, %d deltas for unknown streams; "
                            + "%d ticks, %d stats records; %.2f s (%.0f events/s)%n",
                    s.events(), s.deadLetters(), s.outOfOrder(), s.unknownStream(), s.ticks(), s.statsRecords(),
                    seconds, s.events() / Math.max(seconds, 1e-9));
            return 0;
        } catch (NoSuchFileException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "no such file: " + e.getFile());
        } catch (IllegalArgumentException e) {
            System.err.println("replay: " + e.getMessage());
            return 1;
        } finally {
            out.flush();
            if (dlqOut != null) {
                dlqOut.close();
            }
        }
    }

    private static BufferedReader open(String input) throws IOException {
        if (input.equals("-")) {
            return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 16);
        }
        return Files.newBufferedReader(Path.of(input), StandardCharsets.UTF_8);
    }

}
