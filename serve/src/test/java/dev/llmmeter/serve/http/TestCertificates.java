package dev.llmmeter.serve.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates and keys made for a test by the {@code openssl} command (CI installs it when missing), in a directory
 * of the test's: nothing private is committed. Shared with app's integration tests.
 */
public final class TestCertificates {
    /** What {@code openssl req -x509} makes: a certificate and its key (PKCS#8, unencrypted). */
    public record Pair(Path cert, Path key) {
    }

    private TestCertificates() {
    }

    /** A self-signed RSA certificate for {@code 127.0.0.1} and {@code localhost}, as the operations guide makes one. */
    public static Pair rsa(Path dir, String name) throws IOException, InterruptedException {
        return selfSigned(dir, name, "rsa:2048");
    }

    /** As {@link #rsa}, with an EC key on P-256. */
    public static Pair ec(Path dir, String name) throws IOException, InterruptedException {
        return selfSigned(dir, name, "ec", "-pkeyopt", "ec_paramgen_curve:P-256");
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

    /** A certificate for {@code localhost} issued by {@code ca} (its key signs it), with a key of its own. */
    public static Pair issuedBy(Pair ca, Path dir, String name) throws IOException, InterruptedException {
        Pair p = new Pair(dir.resolve(name + ".crt.pem"), dir.resolve(name + ".key.pem"));
        Path csr = dir.resolve(name + ".csr");
        openssl(List.of("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", p.key().toString(), "-out", csr.toString(),
                "-subj", "/CN=localhost"));
        openssl(List.of("x509", "-req", "-in", csr.toString(), "-CA", ca.cert().toString(), "-CAkey", ca.key().toString(),
                "-set_serial", "2", "-days", "2", "-out", p.cert().toString()));
        return p;
    }

    /** {@code key} in the traditional format of its algorithm: PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC1 ({@code BEGIN EC PRIVATE KEY}). */
    public static Path traditional(Path key, Path out) throws IOException, InterruptedException {
        openssl(List.of("pkey", "-in", key.toString(), "-traditional", "-out", out.toString()));
        return out;
    }

    /** {@code key} as encrypted PKCS#8 ({@code BEGIN ENCRYPTED PRIVATE KEY}). */
    public static Path encrypted(Path key, Path out) throws IOException, InterruptedException {
        openssl(List.of("pkcs8", "-topk8", "-in", key.toString(), "-passout", "pass:secret-passphrase", "-out", out.toString()));
        return out;
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
