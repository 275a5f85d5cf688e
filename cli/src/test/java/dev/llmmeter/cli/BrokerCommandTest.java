package dev.llmmeter.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code metering broker} refuses bad arguments with one readable line, before any broker starts. */
class BrokerCommandTest {
    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        // A bug here would start a broker and block until a signal: run it aside and bound the wait (generously: each
        // refusal is immediate, the bound only keeps a hang from stalling the build).
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cmd.execute(args));
        await("metering " + String.join(" ", args) + " to return").atMost(Duration.ofSeconds(60)).until(exit::isDone);
        return exit.join();
    }

    @Test
    void aPortOutOfRangeIsAUsageError() {
        assertEquals(2, run("broker", "--port", "70000"));
        assertEquals("metering broker: --port must be between 0 and 65535, got 70000" + System.lineSeparator()
                + "Run 'metering broker --help' for usage." + System.lineSeparator(), err.toString());
        assertEquals("", out.toString());
    }

    @Test
    void aNodeCountOutOfRangeIsAUsageError() {
        assertEquals(2, run("broker", "--nodes", "0"));
        assertEquals("metering broker: --nodes must be between 1 and 9, got 0" + System.lineSeparator()
                + "Run 'metering broker --help' for usage." + System.lineSeparator(), err.toString());
        assertEquals("", out.toString());
    }

    @Test
    void threeNodesNeedThreePortsInRange() {
        assertEquals(2, run("broker", "--nodes", "3", "--port", "65534"));
        assertEquals("metering broker: --port must be between 0 and 65533 for 3 nodes, got 65534" + System.lineSeparator()
                + "Run 'metering broker --help' for usage." + System.lineSeparator(), err.toString());
    }

    @Test
    void runStartsAClusterOfOneToNineBrokersAndOnlyWithoutBootstrapServers() {
        assertEquals(2, run("run", "--brokers", "10"));
        assertEquals("metering run: --brokers must be between 1 and 9, got 10" + System.lineSeparator()
                + "Run 'metering run --help' for usage." + System.lineSeparator(), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, run("run", "--brokers", "3", "--bootstrap-servers", "localhost:9092"));
        assertEquals("metering run: --brokers starts a cluster: leave out --bootstrap-servers, or --brokers" + System.lineSeparator()
                + "Run 'metering run --help' for usage." + System.lineSeparator(), err.toString());
    }

    @Test
    void aPortInUseIsOneLineOnStderrAndExitCode1() throws IOException {
        Path dataDir = tmp.resolve("data");
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            int port = taken.getLocalPort();
            assertEquals(1, run("broker", "--port", String.valueOf(port), "--data-dir", dataDir.toString()));
            assertEquals("broker: port " + port + " on 127.0.0.1 is already in use", lastLine(err));
        }
        assertEquals("", out.toString());
        assertFalse(Files.exists(dataDir), "nothing formatted when the port is taken");
    }

    @Test
    void aDataDirThatIsAFileIsOneLineOnStderrAndExitCode1() throws IOException {
        Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");
        assertEquals(1, run("broker", "--port", "0", "--data-dir", file.toString()));
        assertEquals("broker: data dir " + file + " is not a directory", lastLine(err));
        assertEquals("", out.toString());
    }

    @Test
    void aNonEmptyDirThatIsNotAKafkaDataDirIsRefusedAndLeftAlone() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("photos"));
        Files.writeString(dir.resolve("holiday.jpg"), "x");
        assertEquals(1, run("broker", "--port", "0", "--data-dir", dir.toString()));
        assertEquals("broker: data dir " + dir + " is not empty and is not a Kafka data dir (no meta.properties):"
                + " use an empty or new directory", lastLine(err));
        try (var entries = Files.list(dir)) {
            assertEquals(1, entries.count());
        }
    }

    private static String lastLine(StringWriter w) {
        String[] lines = w.toString().split("\\R");
        assertEquals(2, lines.length, "a progress line, then the error: " + w);
        return lines[lines.length - 1];
    }
}
