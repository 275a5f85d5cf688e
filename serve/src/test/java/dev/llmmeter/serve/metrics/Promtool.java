package dev.llmmeter.serve.metrics;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
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

    /** Fails, saying how to get them, unless Debian's promtool and prometheus are installed. */
    public static void requireInstalled() {
        for (Path tool : new Path[]{PROMTOOL, PROMETHEUS}) {
            if (!Files.isExecutable(tool)) {
                fail(tool + " is missing: these tests run Prometheus' own tools. Install Debian's prometheus package "
                        + "(apt-get install prometheus), as .ci/run does when it is missing.");
            }
        }
    }

    /** The registry's exposition, text format 0.0.4, as {@code GET /metrics} serves it to a plain client. */
    public static String exposition(PrometheusRegistry registry) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    /** What {@code promtool check metrics} says of {@code exposition}: its output, and its exit code first. */
    public static Result check(String exposition) throws IOException, InterruptedException {
        requireInstalled();
        Process p = new ProcessBuilder(PROMTOOL.toString(), "check", "metrics").redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(exposition.getBytes(StandardCharsets.UTF_8));
        }
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
