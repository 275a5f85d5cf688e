package dev.llmmeter.cli.it;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code metering run} stopped by a signal once its live view has drawn a stats line: Ctrl-C (SIGINT) exits 130 and
 * SIGTERM 143, the JVM's 128 + signal number, with nothing printed as a stack trace and the run's directory deleted.
 * The child is the JVM {@code bin/metering} execs (so the signal reaches it as from a terminal), started with SIGINT at
 * its default action: a background job of a non-interactive shell (as a build may be run) inherits it ignored.
 */
class RunSignalIT {
    private static final Duration LOADED = Duration.ofSeconds(180); // a bound for a loaded 2-core machine, not an expectation
    private static final Pattern STATS_LINE = Pattern.compile("\\d\\d:\\d\\d:\\d\\d +TPS ");

    @TempDir
    Path dir;

    @ParameterizedTest(name = "SIG{0}: exit {1}")
    @CsvSource({"INT, 130", "TERM, 143"})
    void aSignalStopsTheRunWithItsExitCodeAndNoStackTrace(String signal, int exit) throws Exception {
        Path home = Files.createDirectories(dir.resolve("home"));
        Path out = dir.resolve("run.out");
        Path err = dir.resolve("run.err");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of("/usr/bin/env", "--default-signal=INT", java, "-Xmx512m",
                "-Duser.home=" + home, "-cp", System.getProperty("java.class.path"), "dev.llmmeter.cli.Main",
                "run", "--duration", "600", "--http-port", "0"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("METERING_"));
        Process run = pb.start();
        try {
            await("the first stats line").atMost(LOADED).pollInterval(Duration.ofMillis(300))
                    .until(() -> !run.isAlive() || STATS_LINE.matcher(Files.readString(out)).find());
            assertTrue(run.isAlive(), "ended before its first stats line: " + Files.readString(err));
            assertTrue(Files.readString(err).contains("metering run: topology running; simulating 20 streams of a fleet of models for 600 s\n"),
                    Files.readString(err));

            kill(signal, run.pid());
            assertTrue(run.waitFor(LOADED.toSeconds(), TimeUnit.SECONDS), "still running after SIG" + signal + ": " + Files.readString(err));
            String printed = Files.readString(err);
            assertEquals(exit, run.exitValue(), printed);
            for (String line : (printed + Files.readString(out)).split("\n")) {
                assertFalse(line.matches("\\s+at .*|.*(Exception|Error)\\b.*"), "a stack trace line: '" + line + "' in\n" + printed);
            }
            try (Stream<Path> left = Files.list(home.resolve(".metering"))) {
                assertEquals(List.of(), left.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("run-")).toList(),
                        "the run's directory deleted");
            }
        } finally {
            run.destroyForcibly().waitFor();
        }
    }

    private static void kill(String signal, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(pid)).inheritIO().start();
        assertTrue(kill.waitFor(30, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + signal + " " + pid);
    }
}
