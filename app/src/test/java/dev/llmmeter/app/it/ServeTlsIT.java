package dev.llmmeter.app.it;

import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.serve.http.TestCertificates;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code serve --tls-cert --tls-key --tokens-file} as an operator runs it, its own process on a real broker, asked by
 * a real {@code curl} that trusts the certificate the test made: HTTP/1.1 and HTTP/2 on the one port, the tokens
 * as over plain HTTP, the event stream over HTTP/2; plain HTTP and an untrusting client get nothing.
 */
class ServeTlsIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    private static final Duration LOADED = Duration.ofSeconds(90); // a bound for a loaded 2-core machine, not an expectation
    static final String ADMIN = "admin-5d1c9e7a3f0b8c2d4e6f";

    @TempDir
    static Path work;
    private static TestCertificates.Pair pair;
    private static ServiceProcess.Started serve;
    private static int port;
    private static Stats tick;

    private record Curl(int exit, String out) {
    }

    /** {@code curl ARGS}: its exit code and stdout. */
    private static Curl curl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "curl still running: " + cmd);
        return new Curl(p.exitValue(), out);
    }

    private static String url(String path) {
        return "https://127.0.0.1:" + port + path;
    }

    @BeforeAll
    static void startServe() throws Exception {
        pair = TestCertificates.rsa(work, "server");
        Path tokens = Files.writeString(work.resolve("http.tokens"), ADMIN + " admin\n");
        tick = new Stats(47.3, true, false, 52.1, 31.4, 1, (System.currentTimeMillis() / 1000 - 100) * 1000);
        kafka.createTopic(Topics.STATS.name(), 1);
        Properties p = new Properties();
        p.putAll(kafka.clientConfig());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(Topics.STATS.name(), Topics.STATS_KEY,
                    new String(Topics.STATS.serializeValue(tick), StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
        }
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        serve = ServiceProcess.start(work, "serve", "--bootstrap-servers", kafka.bootstrapServers(), "--http-port", String.valueOf(port),
                "--tls-cert", pair.cert().toString(), "--tls-key", pair.key().toString(), "--tokens-file", tokens.toString());
        await("serve answers over HTTPS").atMost(LOADED)
                .until(() -> curl("--cacert", pair.cert().toString(), "-o", "/dev/null", "-w", "%{http_code}", url("/healthz")).out().equals("200"));
    }

    @AfterAll
    static void stopServe() throws Exception {
        serve.process().destroy(); // SIGTERM
        ServiceProcess.Run run = serve.finish();
        assertEquals(0, run.exit(), run.err());
        assertFalse(run.err().contains(ADMIN), run.err());
        assertFalse(run.err().contains("\tat ") || run.err().contains("Exception"), "no stack trace for a plain or untrusting client: " + run.err());
    }

    @Test
    @DisplayName("stderr gives the dashboard's address as https://")
    void theListeningLineSaysHttps() {
        await("the listening line").atMost(LOADED).until(() -> Files.readString(serve.err()).contains(
                "metering serve: dashboard: https://localhost:" + port + "/ (reading " + kafka.bootstrapServers() + ")"));
    }

    @Test
    @DisplayName("/healthz over --http1.1 answers 200 with HTTP/1.1, over --http2 with HTTP/2, on the one port")
    void http11AndHttp2OnTheOnePort() throws Exception {
        String cacert = pair.cert().toString();
        assertEquals(new Curl(0, "{\"status\":\"ok\"} 200 1.1"), curl("--cacert", cacert, "--http1.1", "-w", " %{http_code} %{http_version}", url("/healthz")));
        assertEquals(new Curl(0, "200 2"), curl("--cacert", cacert, "--http2", "-o", "/dev/null", "-w", "%{http_code} %{http_version}", url("/healthz")));
        assertEquals(new Curl(0, "200 2"), curl("--cacert", cacert, "--http2", "-o", "/dev/null", "-w", "%{http_code} %{http_version}",
                "https://localhost:" + port + "/healthz"));
    }

    @Test
    @DisplayName("/api/stats over HTTPS: 401 without a token, 200 and the topic's record with the admin token")
    void tokensHoldOverTls() throws Exception {
        String cacert = pair.cert().toString();
        assertEquals(new Curl(0, "{\"status\":401,\"error\":\"a bearer token is needed\"}401"),
                curl("--cacert", cacert, "--http2", "-w", "%{http_code}", url("/api/stats")));
        String expected = new String(Topics.STATS.serializeValue(tick), StandardCharsets.UTF_8) + "200";
        await("/api/stats with the admin token").atMost(LOADED).until(() -> curl("--cacert", cacert, "--http2", "-w", "%{http_code}",
                "-H", "Authorization: Bearer " + ADMIN, url("/api/stats")).out(), expected::equals);
    }

    @Test
    @DisplayName("/events streams the latest tick as an SSE event over HTTP/2")
    void eventsStreamOverHttp2() throws Exception {
        String payload = new String(Topics.STATS.serializeValue(tick), StandardCharsets.UTF_8).replaceFirst(",\"ts\":\\d+}$", "}");
        await("the stats record read").atMost(LOADED).until(() -> curl("--cacert", pair.cert().toString(), "-o", "/dev/null",
                "-w", "%{http_code}", "-H", "Authorization: Bearer " + ADMIN, url("/api/stats")).out().equals("200"));
        Process p = new ProcessBuilder("curl", "-sS", "-N", "--http2", "--max-time", "60", "--cacert", pair.cert().toString(),
                "-D", "-", "-H", "Authorization: Bearer " + ADMIN, url("/events")).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                lines.add(line);
                if (line.startsWith("data:")) {
                    break;
                }
            }
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        assertEquals("HTTP/2 200", lines.get(0).strip(), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.toLowerCase(java.util.Locale.ROOT).startsWith("content-type: text/event-stream")),
                String.join("\n", lines));
        List<String> event = lines.subList(lines.size() - 3, lines.size());
        assertEquals(List.of("event: metering", "id: " + tick.ts(), "data: " + payload), event, String.join("\n", lines));
    }

    @Test
    @DisplayName("plain http:// to the TLS port gets no HTTP answer; a certificate curl does not trust is refused")
    void plainHttpAndAnUntrustedCertificateFail() throws Exception {
        Curl plain = curl("-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:" + port + "/healthz");
        assertNotEquals(0, plain.exit());
        assertEquals("000", plain.out());
        Curl untrusted = curl("-o", "/dev/null", "-w", "%{http_code}", url("/healthz")); // the system's CAs only
        assertEquals(60, untrusted.exit()); // CURLE_PEER_FAILED_VERIFICATION
        assertEquals("000", untrusted.out());
        TestCertificates.Pair other = TestCertificates.rsa(work, "other");
        Curl wrongCa = curl("--cacert", other.cert().toString(), "-o", "/dev/null", "-w", "%{http_code}", url("/healthz"));
        assertEquals(60, wrongCa.exit());
        assertEquals("000", wrongCa.out());
    }
}
