package dev.llmmeter.cli;

import dev.llmmeter.replay.Replayer;
import dev.llmmeter.app.ConfigFileOption;
import dev.llmmeter.topology.MeteringConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
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
            "Runs the real metering topology in Kafka's TopologyTestDriver (no broker) over a trace of delta events and prints each stats record (or, with --output-topic, each record of another output) as one JSON line on stdout. A summary (events, dead letters, out-of-order deltas) goes to stderr.",
            "",
            "Lines are read as bytes and decoded by the topology's own decoder. A valid line (an accepted event) is keyed by its stream_id and arrives at its ts; a line without ts takes the ts of the last accepted event. A line that breaks the contract (not UTF-8, not JSON, a missing field, ...) is dead-lettered, exactly as on Kafka, and moves no clock. Blank lines are skipped.",
            "",
            "The clock starts at floor(first accepted ts / 1000) x 1000 and ticks every whole second; every event with ts <= T is applied before the tick at T; the last tick is the first one at or after the last accepted ts + the tail. An idle stretch (no stats or insights to emit until the next event) is crossed in one step.",
            "",
            "--output-topic prints another of the topology's outputs instead of the stats, each record as one JSON line in the order produced: metering.insights (one record per group, global, model:NAME and tenant:NAME, on each stats tick), metering.streams (per-stream records; a tombstone, which deletes a stream's record retention after its final one, prints as {\"stream_id\":\"KEY\",\"tombstone\":true,\"ts\":TICK}) or metering.usage (the usage ledger's records, CloudEvents JSON as published). Topics go by their configured names (metering.topic.* in --config).",
            "",
            "With metering.usage, at the end of the trace the windows still open are closed as the meter's clock would close them: past the tail, the clock runs on with no more input until every stream still open has left (stale or expired, and is billed) and every window's end plus metering.usage.grace.ms has passed. The topology is the one that ships; nothing is flushed by hand.",
            "",
            "Of the settings (--config, METERING_* variables), replay reads the metering.* ones (windows, bounds, topic names); other keys are ignored.",
            "",
            "Exit status: 0 when the trace was replayed (dead letters included); 1, with one line on stderr, when it cannot be read, when no line of it is a valid event with a ts, or when a valid event is dated after the year 9999 (the end of the replay clock); 2 on bad options."
        },
        footer = {"", "Examples:", "  metering replay --input trace.jsonl --dlq dead.jsonl > stats.jsonl",
            "  metering replay --input trace.jsonl --output-topic metering.insights | grep '\"group\":\"model\"'",
            "  metering replay --input trace.jsonl --output-topic metering.usage > usage.jsonl"})
final class ReplayCommand implements Callable<Integer> {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "TRACE.jsonl",
            description = "Trace file: one delta event (wire JSON) per line, in time order; '-' reads stdin.")
    private String input;

    @Option(names = "--tail-seconds", defaultValue = "65", paramLabel = "N",
            description = "Keep ticking this many seconds past the last accepted event's ts (default: ${DEFAULT-VALUE}), so stale pruning and the idle record show.")
    private long tailSeconds;

    @Option(names = "--dlq", paramLabel = "FILE",
            description = "Write each dead-lettered line here as {\"reason\":..,\"detail\":..,\"value\":..}; a line that is not valid UTF-8 has \"value_base64\" (its bytes in Base64) instead of \"value\".")
    private Path dlq;

    @CommandLine.Mixin
    private ConfigFileOption config;

    @Option(names = "--output-topic", paramLabel = "TOPIC",
            description = "The output to print: the stats topic (the default, metering.stats), the insights topic (metering.insights), the per-stream topic (metering.streams) or the usage ledger (metering.usage), under their configured names.")
    private String outputTopic;

    @Override
    public Integer call() {
        if (tailSeconds < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--tail-seconds must not be negative, got " + tailSeconds);
        }
        MeteringConfig meteringConfig = config.settings(spec.commandLine(), new java.util.Properties()).metering();
        String topic = outputTopic == null ? meteringConfig.statsTopic() : outputTopic;
        if (!Replayer.outputTopics(meteringConfig).contains(topic)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--output-topic must be one of "
                    + String.join(", ", Replayer.outputTopics(meteringConfig)) + ", got " + topic);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long started = System.nanoTime();
        InputStream trace;
        try {
            trace = open(input);
        } catch (IOException e) {
            err.println("replay: cannot read " + input + ": " + reason(e));
            return 1;
        }
        try (InputStream in = trace; PrintWriter dead = dlq == null ? null : openDlq()) {
            Replayer.Summary s = new Replayer(meteringConfig, Duration.ofSeconds(tailSeconds), topic)
                    .replay(in, input.equals("-") ? "stdin" : input, out::println,
                            dead == null ? line -> { } : dead::println);
            out.flush();
            if (dead != null && dead.checkError()) {
                err.println("replay: cannot write --dlq " + dlq + " (the dead letters in it are incomplete)");
                return 1;
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            String printed = topic.equals(meteringConfig.statsTopic()) ? ""
                    : String.format(Locale.ROOT, ", %d records of %s", s.outputRecords(), topic);
            err.printf(Locale.ROOT,
                    "replay: %d events, %d dead letters, %d out-of-order deltas, %d deltas for unknown streams; "
                            + "%d ticks, %d stats records%s; %.2f s (%.0f events/s)%n",
                    s.events(), s.deadLetters(), s.outOfOrder(), s.unknownStream(), s.ticks(), s.statsRecords(),
                    printed, seconds, s.events() / Math.max(seconds, 1e-9));
            return 0;
        } catch (DlqException e) {
            err.println("replay: cannot write --dlq " + dlq + ": " + reason(e.getCause()));
            return 1;
        } catch (IOException | Replayer.UnreplayableTraceException e) {
            err.println("replay: " + e.getMessage());
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private static InputStream open(String input) throws IOException {
        if (input.equals("-")) {
            return System.in;
        }
        return Files.newInputStream(Path.of(input));
    }

    private PrintWriter openDlq() throws DlqException {
        try {
            return new PrintWriter(Files.newBufferedWriter(dlq, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new DlqException(e);
        }
    }

    /** What went wrong with a file, in a few words ("no such file", the system's reason, ...). */
    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** The --dlq file cannot be opened. */
    private static final class DlqException extends Exception {
        DlqException(IOException cause) {
            super(cause.getMessage(), cause, false, false);
        }

        @Override
        public synchronized IOException getCause() {
            return (IOException) super.getCause();
        }
    }
}
