package dev.llmmeter.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launcher script {@code bin/metering}, in a scratch copy of the repository's layout whose {@code ./mvnw}
 * only records each build (and takes a while, as a first build does) and whose {@code java} only prints its
 * arguments: what it builds, when, and what it runs, without building anything for real.
 */
class BinMeteringIT {
    @TempDir
    Path tmp;
    Path root;
    Path builds;
    Path fakeJava;

    @BeforeEach
    void scratchCopy() throws IOException {
        root = tmp.resolve("repo");
        Files.createDirectories(root.resolve("bin"));
        Files.createDirectories(root.resolve("cli/src/main"));
        Files.writeString(root.resolve("pom.xml"), "<project/>\n");
        executable(root.resolve("bin/metering"), Files.readString(Path.of("..", "bin", "metering")));
        builds = root.resolve("builds.log");
        executable(root.resolve("mvnw"), "#!/usr/bin/env bash\n"
                + "echo \"start $$\" >> '" + builds + "'\n"
                + "sleep 2\n"
                + "mkdir -p cli/target\n"
                + "echo \"end $$\" >> '" + builds + "'\n");
        fakeJava = tmp.resolve("fake-jdk/bin");
        Files.createDirectories(fakeJava);
        executable(fakeJava.resolve("java"), "#!/usr/bin/env bash\necho \"java $*\"\n");
    }

    @Test
    void calledThroughASymlinkElsewhereItBuildsAndRunsTheRepositoryItLinksTo() throws Exception {
        Path link = Files.createDirectories(tmp.resolve("elsewhere/bin")).resolve("metering");
        Files.createSymbolicLink(link, root.resolve("bin/metering"));

        Run run = run(link, "--help").finish();

        assertEquals(0, run.exit(), run.toString());
        String repo = root.toRealPath().toString();
        assertEquals("java -cp " + repo + "/cli/target/classes:" + repo + "/cli/target/lib/* dev.llmmeter.cli.Main --help\n",
                run.out(), run.toString());
        assertEquals(1, builds().stream().filter(l -> l.startsWith("start")).count(), "one build: " + builds());
    }

    @Test
    void twoFirstUsesAtOnceBuildOnceTheSecondWaitingForTheFirst() throws Exception {
        Started first = run(root.resolve("bin/metering"), "--version");
        Started second = run(root.resolve("bin/metering"), "--version");
        Run a = first.finish();
        Run b = second.finish();

        assertEquals(0, a.exit(), a.toString());
        assertEquals(0, b.exit(), b.toString());
        assertTrue(a.out().endsWith("dev.llmmeter.cli.Main --version\n"), a.toString());
        assertTrue(b.out().endsWith("dev.llmmeter.cli.Main --version\n"), b.toString());
        List<String> log = builds();
        assertEquals(2, log.size(), "one build, start and end, never two at once: " + log);
        assertTrue(log.get(0).startsWith("start") && log.get(1).startsWith("end"), "one build: " + log);
    }

    private List<String> builds() throws IOException {
        return Files.exists(builds) ? Files.readAllLines(builds) : List.of();
    }

    record Run(int exit, String out, String err) {
    }

    record Started(Process process, Path out, Path err) {
        Run finish() throws Exception {
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "bin/metering still running after 60 s");
            return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
        }
    }

    private Started run(Path script, String... args) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(script.toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("PATH", fakeJava + ":" + System.getenv("PATH"));
        pb.environment().remove("METERING_JAVA_OPTS");
        return new Started(pb.start(), out, err);
    }

    private static void executable(Path file, String content) throws IOException {
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
