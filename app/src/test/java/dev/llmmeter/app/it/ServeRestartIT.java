package dev.llmmeter.app.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmmeter.app.MeteringApp;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.devkit.ConstantRateStreams;
import dev.llmmeter.devkit.KafkaBrokerExtension;
import dev.llmmeter.serve.http.SseReader;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.TreeMap;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bad day for {@code serve}: its process SIGKILLed under live traffic and started again on the same port. It reads
 * its history back from the stats topic, so the dashboard's chart and a browser's {@code Last-Event-ID} resume lose
 * nothing that is still among the last 600 ticks. Prints how long the figures were missing.
 */
class ServeRestartIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    private static final Duration LOADED = Duration.ofSeconds(120); // a bound for a loaded 2-core machine, not an expectation
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path work;

    @Test
    @DisplayName("serve SIGKILLed and restarted: /api/stats/history holds every tick it held before, each once, in order, "
            + "with nothing of the topic missing between them, and /events resumes after the last tick a client saw")
    void aKilledServeComesBackWithItsHistory(@TempDir Path state) throws Exception {
        Properties settings = LiveApps.settings(kafka.bootstrapServers(), kafka.clientConfig(), "serve-restart-it", state, 2);
        int port = freePort();
        String base = "http://127.0.0.1:" + port;
        try (MeteringApp app = LiveApps.startRunning(settings);
             StatsCollector collector = new StatsCollector(kafka.bootstrapServers(), kafka.clientConfig());
             ConstantRateStreams load = new ConstantRateStreams(kafka.bootstrapServers(), client(), "restart", 10, 20, 30)) {
            long firstStart = System.nanoTime();
            ServiceProcess.Started first = serve(port);
            List<Stats> before;
            double firstReady;
            try {
                await("serve ready").atMost(LOADED).ignoreExceptions().until(() -> get(base + "/readyz").statusCode() == 200);
                firstReady = secs(System.nanoTime() - firstStart);
                before = await("five ticks in the history").atMost(LOADED).ignoreExceptions()
                        .until(() -> history(base), h -> h.size() >= 5 && h.get(h.size() - 1).active() == 3);
            } finally {
                first.process().destroyForcibly().waitFor();
            }
            long killed = System.nanoTime();
            long lastSeen = before.get(before.size() - 1).ts();

            ServiceProcess.Started second = serve(port);
            try {
                long restarted = System.nanoTime();
                await("serve ready again").atMost(LOADED).ignoreExceptions()
                        .until(() -> get(base + "/readyz").statusCode() == 200);
                long ready = System.nanoTime();
                List<Stats> after = await("a tick newer than the last before the kill").atMost(LOADED).ignoreExceptions()
                        .until(() -> history(base), h -> !h.isEmpty() && h.get(h.size() - 1).ts() > lastSeen);
                long newTick = System.nanoTime();

                assertTrue(after.containsAll(before), "every tick held before the kill is held again");
                List<Long> ts = after.stream().map(Stats::ts).toList();
                for (int i = 1; i < ts.size(); i++) {
                    assertTrue(ts.get(i - 1) < ts.get(i), "once each and in order: " + ts);
                }
                // nothing of the topic missing between the first and the last tick held
                TreeMap<Long, Stats> topic = new TreeMap<>();
                collector.await(s -> s.ts() == ts.get(ts.size() - 1), LOADED, "the topic at the history's newest tick");
                collector.stats().forEach(s -> topic.putIfAbsent(s.ts(), s));
                assertEquals(new ArrayList<>(topic.subMap(ts.get(0), true, ts.get(ts.size() - 1), true).values()), after);

                // a browser that saw lastSeen before the kill resumes with the next tick of the topic
                long next = topic.higherKey(lastSeen);
                try (SseReader resumed = new SseReader(port, "/events", String.valueOf(lastSeen))) {
                    await("resumed").atMost(LOADED).until(() -> !resumed.events().isEmpty());
                    assertEquals(next, Long.parseLong(resumed.events().get(0).id()));
                }
                System.out.printf(Locale.ROOT, "serve restart: first start ready after %.1f s; started again %.1f s after the kill, ready %.1f s after its start, "
                                + "a new tick in its history %.1f s after the kill; %d ticks held before, %d after%n",
                        firstReady, secs(restarted - killed), secs(ready - restarted), secs(newTick - killed), before.size(), after.size());
            } finally {
                second.process().destroy();
            }
            ServiceProcess.Run run = second.finish();
            assertEquals(0, run.exit(), run.err());
        }
    }

    private ServiceProcess.Started serve(int port) throws Exception {
        return ServiceProcess.start(work, "serve", "--bootstrap-servers", kafka.bootstrapServers(), "--http-port", String.valueOf(port));
    }

    private List<Stats> history(String base) throws Exception {
        HttpResponse<String> r = get(base + "/api/stats/history");
        assertEquals(200, r.statusCode(), r.body());
        List<Stats> ticks = new ArrayList<>();
        for (JsonNode n : JSON.readTree(r.body())) {
            ticks.add(Topics.STATS.deserializeValue(JSON.writeValueAsString(n).getBytes(StandardCharsets.UTF_8)));
        }
        return ticks;
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static double secs(long nanos) {
        return nanos / 1e9;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Properties client() {
        Properties p = new Properties();
        p.putAll(kafka.clientConfig());
        return p;
    }
}
