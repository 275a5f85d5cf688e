package dev.llmmeter.app.it;

import dev.llmmeter.devkit.ConstantRateStreams;
import dev.llmmeter.app.MeteringApp;
import dev.llmmeter.app.ServeCommand;
import dev.llmmeter.app.Settings;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.serve.MeteringService;
import dev.llmmeter.serve.http.HeadlessChromium;
import dev.llmmeter.serve.http.SseReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code serve} on a real broker behind the live topology with constant-rate streams: what the endpoints, an SSE
 * client and the dashboard in a real browser show is what {@code metering.stats} holds, tick for tick.
 */
class ServeIntegrationIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    private static final Duration LOADED = Duration.ofSeconds(90); // a bound for a loaded 2-core machine, not an expectation
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void theEndpointsTheEventStreamAndTheDashboardShowWhatTheStatsTopicHolds(@TempDir Path state) throws Exception {
        Properties settings = LiveApps.settings(kafka.bootstrapServers(), kafka.clientConfig(), "serve-it", state, 2);
        try (MeteringApp app = LiveApps.startRunning(settings);
             StatsCollector collector = new StatsCollector(kafka.bootstrapServers(), kafka.clientConfig());
             MeteringService service = ServeCommand.start(Settings.of(settings), "127.0.0.1", 0);
             ConstantRateStreams load = new ConstantRateStreams(kafka.bootstrapServers(), client(), "serve", 10, 20, 30)) {
            String base = "http://127.0.0.1:" + service.port();
            await("serve ready").atMost(LOADED).until(() -> get(base + "/readyz").statusCode() == 200);

            // /api/stats: the latest record of the topic, with all three streams in it
            Stats api = await("/api/stats with the three streams").atMost(LOADED).until(
                    () -> decode(get(base + "/api/stats")), s -> s.isPresent() && s.get().active() == 3).orElseThrow();
            assertEquals(api, collector.await(s -> s.ts() == api.ts(), LOADED, "at tick " + api.ts()));

            // /events: ids are the ticks; data is the seed's payload of the topic's record at that tick
            List<Long> ids = new ArrayList<>();
            try (SseReader sse = new SseReader(service.port(), "/events", null)) {
                await("three metering events").atMost(LOADED).until(() -> sse.events().size() >= 3);
                for (SseReader.Message m : sse.events().subList(0, 3)) {
                    long ts = Long.parseLong(m.id());
                    ids.add(ts);
                    Stats topic = collector.await(s -> s.ts() == ts, LOADED, "at tick " + ts);
                    assertEquals("metering", m.event());
                    assertEquals(seedPayload(topic), m.data());
                }
            }
            assertTrue(ids.get(0) < ids.get(1) && ids.get(1) < ids.get(2), "ticks in order: " + ids);
            // a browser reconnecting with Last-Event-ID resumes after that tick
            try (SseReader resumed = new SseReader(service.port(), "/events", String.valueOf(ids.get(0)))) {
                await("resumed").atMost(LOADED).until(() -> !resumed.events().isEmpty());
                assertEquals(ids.get(1), Long.parseLong(resumed.events().get(0).id()));
            }

            // /metrics: the gauges of the latest tick
            String metrics = get(base + "/metrics").body();
            assertTrue(metrics.contains("\nllm_metering_active_streams 3.0\n"), metrics);

            if (HeadlessChromium.available()) {
                dashboardFollowsTheTopic(base, collector);
            }
        }
    }

    /** The page's figures equal the topic's record at the tick the page shows, and the tick moves on. */
    private static void dashboardFollowsTheTopic(String base, StatsCollector collector) throws Exception {
        try (HeadlessChromium browser = new HeadlessChromium()) {
            browser.open(base + "/");
            List<String> ticksShown = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                String after = ticksShown.isEmpty() ? "" : ticksShown.get(ticksShown.size() - 1);
                String tick = await("the dashboard shows a new tick").atMost(LOADED)
                        .until(() -> browser.text("tick"), t -> !t.isEmpty() && !t.equals(after) && !t.equals("–"));
                ticksShown.add(tick);
                await("the dashboard's figures equal the topic's at " + tick).atMost(LOADED).untilAsserted(() -> {
                    String shown = browser.text("tick");
                    Stats topic = collector.stats().stream().filter(s -> hhmmss(s.ts()).equals(shown)).findFirst()
                            .orElseThrow(() -> new AssertionError("no record at " + shown));
                    assertEquals(List.of(one(topic.tps()), one(topic.high()), one(topic.low()), String.valueOf(topic.active())),
                            List.of(browser.text("tps"), browser.text("high"), browser.text("low"), browser.text("active")));
                });
            }
            browser.screenshot(Path.of("target", "dashboard-live.png"));
        }
    }

    private static String hhmmss(long ts) {
        return Instant.ofEpochMilli(ts).toString().substring(11, 19) + " UTC";
    }

    private static String one(Double v) {
        return v == null ? "–" : String.format(Locale.ROOT, "%.1f", v);
    }

    /** The seed's payload, in the seed's order, as SSE carries it: the stats record without its tick. */
    private static String seedPayload(Stats s) {
        String json = new String(Topics.STATS.serializeValue(s), StandardCharsets.UTF_8);
        return json.replaceFirst(",\"ts\":\\d+}$", "}");
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Optional<Stats> decode(HttpResponse<String> r) {
        return r.statusCode() == 200 ? Optional.of(Topics.STATS.deserializeValue(r.body().getBytes(StandardCharsets.UTF_8))) : Optional.empty();
    }

    private static Properties client() {
        Properties p = new Properties();
        p.putAll(kafka.clientConfig());
        return p;
    }
}
