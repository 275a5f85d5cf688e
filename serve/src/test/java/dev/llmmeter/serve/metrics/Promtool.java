package dev.llmmeter.serve.metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Prometheus' own linter, {@code promtool check metrics} (Debian's {@code prometheus} package), over an exposition.
 * Absent, it fails the test rather than skipping it: CI installs it ({@code .ci/run}), and so can a developer.
 */
public final class Promtool {
    public static final Path PROMTOOL = Path.of("/usr/bin/promtool");
    public static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");

    private Promtool() {
    }

    /** Fails, saying how to get them, unless these of Debian's prometheus package are installed. */
    public static void requireInstalled(Path... tools) {
        for (Path tool : tools) {
            if (!Files.isExecutable(tool)) {
                fail(tool + " is missing: this test runs Prometheus' own tools. Install Debian's prometheus package "
                        + "(apt-get install prometheus), as .ci/run does when it is missing.");
            }
        }
    }

    /** What {@code promtool check metrics} says of {@code exposition}: its output, and its exit code first. */
    public static Result check(String exposition) throws IOException, InterruptedException {
        requireInstalled(PROMTOOL);
        Process p = new ProcessBuilder(PROMTOOL.toString(), "check", "metrics").redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(exposition.getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool still running after 60 s");
        return new Result(p.exitValue(), output);
    }

    /** {@code promtool ARGS} run in {@code dir} (as {@code promtool check rules} and {@code test rules} take files): exit code and output. */
    public static Result run(Path dir, String... args) throws IOException, InterruptedException {
        requireInstalled(PROMTOOL);
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(PROMTOOL.toString()));
        command.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool still running after 60 s");
        return new Result(p.exitValue(), output);
    }

    public record Result(int exit, String output) {
        /** Exit 0 and not a word: no problem found. */
        public boolean clean() {
            return exit == 0 && output.isEmpty();
        }

        @Override
        public String toString() {
            return "promtool check metrics: exit " + exit + ", " + output.lines().count() + " problems\n" + output;
        }
    }
}
