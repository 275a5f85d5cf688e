package dev.llmmeter.serve.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * TLS certificates and keys for tests. The fast tests, which start no process, read the fixtures of
 * {@code src/test/resources/tls} (throwaway, trusted nowhere, made by its {@code make-fixtures.sh}), copied into a
 * directory of theirs; the integration tests make their own with the {@code openssl} command (CI installs it when
 * missing). Shared with app's tests.
 */
public final class TestCertificates {
    /** What {@code openssl req -x509} makes: a certificate and its key (PKCS#8, unencrypted). */
    public record Pair(Path cert, Path key) {
    }

    private TestCertificates() {
    }

    /** The fixture {@code name} (e.g. {@code rsa.key.pem}) of {@code src/test/resources/tls}, copied into {@code dir}. */
    public static Path fixture(Path dir, String name) throws IOException {
        try (java.io.InputStream in = TestCertificates.class.getResourceAsStream("/tls/" + name)) {
            if (in == null) {
                throw new IOException("no TLS fixture " + name);
            }
            Path out = dir.resolve(name);
            Files.copy(in, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return out;
        }
    }

    /** The fixtures {@code NAME.crt.pem} and {@code NAME.key.pem}, copied into {@code dir}. */
    public static Pair fixturePair(Path dir, String name) throws IOException {
        return new Pair(fixture(dir, name + ".crt.pem"), fixture(dir, name + ".key.pem"));
    }

    /** A self-signed RSA certificate for {@code 127.0.0.1} and {@code localhost}, as the operations guide makes one. */
    public static Pair rsa(Path dir, String name) throws IOException, InterruptedException {
        return selfSigned(dir, name, "rsa:2048");
    }

    private static Pair selfSigned(Path dir, String name, String... newKey) throws IOException, InterruptedException {
        Pair p = new Pair(dir.resolve(name + ".crt.pem"), dir.resolve(name + ".key.pem"));
        List<String> cmd = new ArrayList<>(List.of("req", "-x509", "-newkey"));
        cmd.addAll(List.of(newKey));
        cmd.addAll(List.of("-nodes", "-keyout", p.key().toString(), "-out", p.cert().toString(), "-days", "2",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"));
        openssl(cmd);
        return p;
    }

    /** Runs {@code openssl ARGS}; fails with its output when it exits other than 0. */
    public static void openssl(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + output);
        }
    }

    /** The files' text one after another, in {@code out}: a PEM bundle. */
    public static Path bundle(Path out, Path... files) throws IOException {
        StringBuilder b = new StringBuilder();
        for (Path f : files) {
            b.append(Files.readString(f, StandardCharsets.US_ASCII));
        }
        return Files.writeString(out, b.toString(), StandardCharsets.US_ASCII);
    }
}
