package dev.llmmeter.app.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** A metering command as an operator runs it: a process of its own, stderr exactly as the service's logging leaves it. */
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
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m",
                "-Dlog4j2.configurationFile=" + Path.of("target", "classes", "log4j2.xml").toUri(),
                "-cp", System.getProperty("java.class.path"), "dev.llmmeter.app.ServiceMain"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("METERING_"));
        Path out = Files.createTempFile(work, "metering", ".out");
        Path err = Files.createTempFile(work, "metering", ".err");
        return new Started(pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start(), out, err);
    }
}
