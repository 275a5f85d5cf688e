package dev.llmmeter.app.it;

import dev.llmmeter.app.ServiceMain;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A metering command as an operator runs it: a process of its own, stderr exactly as the service's logging leaves it;
 * or, quicker, in this JVM ({@link #inProcess}).
 */
final class ServiceProcess {
    private ServiceProcess() {
    }

    record Run(int exit, String out, String err) {
    }

    record Started(Process process, Path out, Path err) {
        Run finish() throws Exception {
            try {
                assertTrue(process.waitFor(120, TimeUnit.SECONDS), "still running after 120 s: " + Files.readString(err));
            } finally {
                process.destroyForcibly().waitFor();
            }
            return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
        }
    }

    static Run run(Path work, String... args) throws Exception {
        return start(work, args).finish();
    }

    /** {@code metering ARGS} (the service's entry point) as a child JVM logging with the service's log4j2.xml. */
    static Started start(Path work, String... args) throws Exception {
        return start(work, Map.of(), args);
    }

    /** As {@link #start(Path, String...)}, with these environment variables (and no other METERING_* variable). */
    static Started start(Path work, Map<String, String> env, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m",
                "-Dlog4j2.configurationFile=" + Path.of("target", "classes", "log4j2.xml").toUri(),
                "-cp", System.getProperty("java.class.path"), "dev.llmmeter.app.ServiceMain"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("METERING_"));
        pb.environment().putAll(env);
        Path out = Files.createTempFile(work, "metering", ".out");
        Path err = Files.createTempFile(work, "metering", ".err");
        return new Started(pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start(), out, err);
    }

    /**
     * Another program (a client's example, its test suite) run in {@code dir} with these variables added to the
     * environment, stdin closed, stdout and stderr together: its exit code and output ({@link Run#err()} empty). Its
     * output goes to a file, not a pipe, so that the limit holds even for a program that never closes its output: past
     * it the program is killed and the test fails with what it printed.
     */
    static Run external(Path dir, Map<String, String> env, Duration limit, List<String> command) throws Exception {
        Path output = Files.createTempFile("external", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            pb.environment().putAll(env);
            Process p = pb.start();
            boolean exited = p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
            if (!exited) {
                p.destroyForcibly().waitFor();
            }
            String printed = Files.readString(output);
            assertTrue(exited, String.join(" ", command) + " still running after " + limit + ":\n" + printed);
            return new Run(p.exitValue(), printed, "");
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /**
     * {@code metering ARGS} in this JVM: its exit code, stdout, and stderr (what the commands print to System.err
     * and what picocli writes to the command's error writer). Synchronized: it swaps System.out and System.err.
     */
    static synchronized Run inProcess(String... args) {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StringWriter cmdErr = new StringWriter();
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            CommandLine cmd = ServiceMain.commandLine();
            cmd.setErr(new PrintWriter(cmdErr, true));
            exit = cmd.execute(args);
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8) + cmdErr);
    }
}
