package dev.llmmeter.app;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The service image is target/classes and target/lib (the Dockerfile's service stage copies exactly those): after
 * {@code package}, neither holds a benchmark (a class of a {@code bench} package, a {@code *Bench*} or
 * {@code *Benchmark*} class of ours, JMH or its generated benchmark list) nor a class of the development kit.
 * The enforcer rule keeps the bench and devkit modules out; this finds a benchmark class put inside a module the
 * service does ship (serve/, topology/, ...).
 */
class ServiceImageIT {
    private static final Pattern DEVELOPMENT_ONLY = Pattern.compile(
            "dev/llmmeter/(.+/)?bench/.*|dev/llmmeter/.*Bench[^/]*\\.class|dev/llmmeter/devkit/.*"
                    + "|org/openjdk/jmh/.*|META-INF/BenchmarkList");

    @Test
    void carriesNoBenchmarkNorDevelopmentKitClass() throws IOException {
        Path classes = Path.of("target", "classes");
        Path lib = Path.of("target", "lib");
        assertTrue(Files.isDirectory(lib), "run after package: " + lib.toAbsolutePath());
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes)) {
            files.filter(Files::isRegularFile).map(f -> classes.relativize(f).toString().replace('\\', '/'))
                    .filter(DEVELOPMENT_ONLY.asMatchPredicate()).forEach(found::add);
        }
        List<Path> jars;
        try (Stream<Path> files = Files.list(lib)) {
            jars = files.filter(f -> f.toString().endsWith(".jar")).sorted().toList();
        }
        assertTrue(jars.stream().anyMatch(j -> j.getFileName().toString().startsWith("serve-")), "serve's jar in " + jars);
        for (Path jar : jars) {
            try (JarFile j = new JarFile(jar.toFile())) {
                j.stream().map(e -> e.getName()).filter(DEVELOPMENT_ONLY.asMatchPredicate())
                        .forEach(e -> found.add(jar.getFileName() + "!" + e));
            }
        }
        assertEquals(List.of(), found, "development-only classes in the service image");
    }
}
