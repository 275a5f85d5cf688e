package dev.llmmeter.app.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.llmmeter.app.MeteringApp;
import dev.llmmeter.app.ServeCommand;
import dev.llmmeter.app.Settings;
import dev.llmmeter.devkit.ConstantRateStreams;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.serve.MeteringService;
import dev.llmmeter.serve.http.HeadlessChromium;
import dev.llmmeter.serve.http.SseReader;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The hermes-webui extension ({@code clients/hermes-webui/metering-tps.js}) in headless chromium, loaded into a
 * stand-in for hermes-webui's page (its hook API, label and setter; {@code hermes-webui-standin/index.html}) served
 * from another origin than {@code serve}, with a Content-Security-Policy that lets it connect only to itself and the
 * meter; {@code serve} needs tokens and allows that origin by {@code metering.http.cors.origins}; the live topology
 * meters a constant-rate stream on a real broker.
 */
class HermesWebuiExtensionIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    static final Path EXTENSION = Path.of("..", "clients", "hermes-webui", "metering-tps.js").toAbsolutePath().normalize();
    private static final Duration LOADED = Duration.ofSeconds(90); // a bound for a loaded 2-core machine, not an expectation
    private static final String ADMIN = "admin-0123456789abcdef";
    private static final String LABEL = "#liveAssistantTurn .msg-role.assistant .msg-tps-inline";
    private static final Pattern STREAM_TPS = Pattern.compile("\"stream_tps\":([^,}]+)");

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    @DisplayName("turn:start opens /events?stream=ID with the token; the label shows serve's stream_tps for it, hermes' own "
            + "figure does not overwrite it; turn:complete, turn:cancel and turn:error close the EventSource and give hermes its label back")
    void theLabelShowsServesStreamTpsUntilTheTurnEnds(@TempDir Path state, @TempDir Path work) throws Exception {
        assumeTrue(HeadlessChromium.available(), "no " + HeadlessChromium.CHROMIUM + " (apt-get install chromium chromium-driver)");
        AtomicReference<String> meter = new AtomicReference<>();
        HttpServer page = standIn(meter);
        String pageOrigin = "http://127.0.0.1:" + page.getAddress().getPort();

        Properties settings = LiveApps.settings(kafka.bootstrapServers(), kafka.clientConfig(), "hermes-ext-it", state, 2);
        settings.put(Settings.HTTP_TOKENS_FILE, Files.writeString(work.resolve("http.tokens"), ADMIN + " admin\n").toString());
        settings.put(Settings.HTTP_CORS_ORIGINS, pageOrigin);
        Properties client = new Properties();
        client.putAll(kafka.clientConfig());
        try (MeteringApp app = LiveApps.startRunning(settings);
             MeteringService service = ServeCommand.start(Settings.of(settings), "127.0.0.1", 0);
             ConstantRateStreams load = new ConstantRateStreams(kafka.bootstrapServers(), client, "hermes", 10);
             HeadlessChromium browser = new HeadlessChromium()) {
            String base = "http://127.0.0.1:" + service.port();
            meter.set(base);
            await("serve ready").atMost(LOADED).until(() -> get(base + "/readyz").statusCode() == 200);
            String stream = "hermes-0";

            browser.open(pageOrigin + "/");
            await("the stand-in page and the extension loaded").atMost(LOADED)
                    .until(() -> Boolean.TRUE.equals(browser.script("return typeof window.standIn === 'object' && document.readyState === 'complete';")));
            assertEquals(0, sseClients(base), "no turn, no EventSource");

            browser.script("HermesExtensionSettings._dispatchTurnLifecycle('turn:start', {sessionId: 'session-1', streamId: arguments[0]});", stream);
            await("the extension's EventSource on serve").atMost(LOADED).until(() -> sseClients(base) == 1);
            browser.script("standIn.drawLiveAnswer();"); // hermes draws the live answer after turn:start, with its first token

            // serve's own figure for the stream, read beside the page; the rate's n/(n-1) excess rounds away after ~20 s
            try (SseReader serve = new SseReader(service.port(), "/events?stream=" + stream, null, ADMIN)) {
                await("the label shows 10.0 t/s").atMost(LOADED).until(() -> browser.texts(LABEL).equals(List.of("10.0 t/s")));
                assertEquals("10.0", lastStreamTps(serve), "the label's figure is the one serve publishes for " + stream);
                assertEquals("Tokens per second, metered by llm-metering; first token after " + ConstantRateStreams.FIRST_DELTA_MS + " ms",
                        browser.script("return document.querySelector(arguments[0]).title;", LABEL));
            }
            assertEquals("10.0 t/s", browser.script("_setLiveAssistantTps(47.3); return document.querySelector(arguments[0]).textContent;", LABEL),
                    "hermes' own live figure does not overwrite the meter's while the turn is open");
            await("only the page's EventSource left").atMost(LOADED).until(() -> sseClients(base) == 1);

            browser.script("HermesExtensionSettings._dispatchTurnLifecycle('turn:complete', {sessionId: 'session-1', streamId: arguments[0], status: 'done'});", stream);
            await("turn:complete closed the EventSource").atMost(LOADED).until(() -> sseClients(base) == 0);
            assertEquals("47.3 t/s", browser.script("_setLiveAssistantTps(47.3); return document.querySelector(arguments[0]).textContent;", LABEL),
                    "the turn over, hermes' setter is its own again");

            for (String end : List.of("turn:cancel", "turn:error")) { // later turns on the same stream, each ended otherwise
                String session = "session-" + end;
                browser.script("HermesExtensionSettings._dispatchTurnLifecycle('turn:start', {sessionId: arguments[0], streamId: arguments[1]});", session, stream);
                await(end + ": its turn's EventSource").atMost(LOADED).until(() -> sseClients(base) == 1);
                browser.script("HermesExtensionSettings._dispatchTurnLifecycle(arguments[0], {sessionId: arguments[1], streamId: arguments[2]});", end, session, stream);
                await(end + " closed the EventSource").atMost(LOADED).until(() -> sseClients(base) == 0);
            }
        } finally {
            page.stop(0);
        }
    }

    /** The stand-in page at / (its settings pointing at the meter, with the token) and the extension at /extensions/. */
    private static HttpServer standIn(AtomicReference<String> meter) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String html;
            try (InputStream in = HermesWebuiExtensionIT.class.getResourceAsStream("/hermes-webui-standin/index.html")) {
                html = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                        .replace("/*SETTINGS*/{}", "{\"meter_url\": \"" + meter.get() + "/\", \"token\": \"" + ADMIN + "\"}");
            }
            exchange.getResponseHeaders().set("Content-Security-Policy",
                    "default-src 'self'; script-src 'self' 'unsafe-inline'; connect-src 'self' " + meter.get());
            send(exchange, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8));
        });
        server.createContext("/extensions/metering-tps.js",
                exchange -> send(exchange, "text/javascript; charset=utf-8", Files.readAllBytes(EXTENSION)));
        server.start();
        return server;
    }

    private static void send(HttpExchange exchange, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(200, body.length);
        try (var out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static String lastStreamTps(SseReader sse) {
        List<SseReader.Message> events = sse.events().stream().filter(e -> "metering".equals(e.event())).toList();
        String data = events.get(events.size() - 1).data();
        Matcher m = STREAM_TPS.matcher(data);
        return m.find() ? m.group(1) : "none in " + data;
    }

    /** {@code llm_metering_serve_sse_clients} from serve's /metrics. */
    private long sseClients(String base) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                .header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
        Matcher m = Pattern.compile("(?m)^llm_metering_serve_sse_clients (\\S+)$").matcher(r.body());
        if (r.statusCode() != 200 || !m.find()) {
            throw new AssertionError("no llm_metering_serve_sse_clients in /metrics: " + r.statusCode());
        }
        return (long) Double.parseDouble(m.group(1));
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
