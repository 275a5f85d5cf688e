package dev.llmmeter.cli.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmmeter.cli.AlertRulesTest;
import dev.llmmeter.cli.GrafanaDashboardTest;
import dev.llmmeter.contract.DeadLetterReason;
import dev.llmmeter.serve.metrics.Promtool;
import dev.llmmeter.sim.ModelProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real Prometheus server (Debian's {@code prometheus} package) scrapes {@code metering run} (broker, topology, the
 * simulator's fleet, serve, objectives set) once a second, and its query API answers the throughput, the TTFT
 * quantiles, the SLO attainment and the gen_ai histograms' quantiles per model for exactly the models the simulator
 * sent, and every query of the Grafana dashboard in docs/grafana; it loads the alerting rules of docs/alerts and
 * evaluates them without error; the live {@code /metrics} passes {@code promtool check metrics}.
 */
class PrometheusScrapeIT {
    private static final Duration LOADED = Duration.ofSeconds(90); // a bound for a loaded 2-core machine, not an expectation
    private static final Pattern DASHBOARD = Pattern.compile("dashboard: http://localhost:(\\d+)/");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path RULES = AlertRulesTest.ALERTS.resolve(AlertRulesTest.RULES);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void prometheusQueriesTheThroughputTtftAttainmentAndDashboardOfEachModelRunSends() throws Exception {
        Promtool.requireInstalled(Promtool.PROMTOOL, Promtool.PROMETHEUS);
        Process run = null;
        Process prometheus = null;
        try {
            // objectives the simulated fleet meets in part: TTFTs run from 80 ms to 2.5 s
            Path settings = Files.writeString(dir.resolve("run.properties"), "metering.slo.ttft.ms=1000\nmetering.slo.tpot.ms=100\n");
            run = metering("run", "--duration", "300", "--json", "--http-port", "0", "--config", settings.toString());
            Path runErr = dir.resolve("run.err");
            // a broker, the topology and serve start first: twice the bound
            int servePort = await("metering run serving").atMost(LOADED.multipliedBy(2)).until(() -> dashboardPort(runErr), p -> p > 0);

            int promPort = freePort();
            Path config = Files.writeString(dir.resolve("prometheus.yml"), """
                    global:
                      scrape_interval: 1s
                      scrape_timeout: 1s
                      evaluation_interval: 1s
                    rule_files:
                      - %s
                    scrape_configs:
                      - job_name: llm-metering
                        static_configs:
                          - targets: ["127.0.0.1:%d"]
                    """.formatted(RULES, servePort));
            prometheus = new ProcessBuilder(Promtool.PROMETHEUS.toString(), "--config.file=" + config,
                    "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + promPort)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            String api = "http://127.0.0.1:" + promPort + "/api/v1/query?query=";

            Set<String> sent = ModelProfile.FLEET.stream().map(ModelProfile::name).collect(Collectors.toCollection(TreeSet::new));
            // the seed's mean per-stream tokens per second of each model's active streams
            Map<String, Double> tps = await("Prometheus has the throughput of every model sent").atMost(LOADED)
                    .until(() -> byModel(api, "llm_metering_group_tokens_per_second{model!=\"\"}"), m -> m.keySet().equals(sent));
            tps.forEach((model, v) -> assertTrue(v > 0, model + " tps " + v));
            // the TTFT p99 of each model's streams, in seconds, within that model's simulated time to first token
            Map<String, Double> ttft = await("Prometheus has the TTFT p99 of every model sent").atMost(LOADED)
                    .until(() -> byModel(api, "llm_metering_time_to_first_token_seconds{model!=\"\",quantile=\"0.99\"}"),
                            m -> m.keySet().equals(sent));
            for (ModelProfile model : ModelProfile.FLEET) {
                double p99 = ttft.get(model.name());
                assertTrue(p99 >= model.minTtftMs() / 1000.0 * 0.99 && p99 <= model.maxTtftMs() / 1000.0 * 1.01,
                        model.name() + " TTFT p99 " + p99 + " s, simulated " + model.minTtftMs() + "-" + model.maxTtftMs() + " ms");
            }
            assertEquals(Map.of("", 1.0), byModel(api, "up{job=\"llm-metering\"}"));

            // the share of each model's streams that left in the last minute and met both objectives
            Map<String, Double> attainment = await("Prometheus has the SLO attainment of every model sent").atMost(LOADED)
                    .until(() -> byModel(api, "llm_metering_slo_attainment_ratio{model!=\"\",objective=\"all\",window=\"1m\"}"),
                            m -> m.keySet().equals(sent));
            attainment.forEach((model, v) -> assertTrue(v >= 0 && v <= 1, model + " attainment " + v));
            // the TTFT p90 of each model from the gen_ai histogram's buckets, in seconds
            Map<String, Double> histogramP90 = await("Prometheus has a finite TTFT p90 from the histogram of every model sent").atMost(LOADED)
                    .until(() -> byLabel(api, "histogram_quantile(0.9, sum by (le, gen_ai_request_model) "
                                    + "(rate(gen_ai_server_time_to_first_token_seconds_bucket[1m])))", "gen_ai_request_model"),
                            m -> m.keySet().equals(sent) && m.values().stream().allMatch(Double::isFinite));
            histogramP90.forEach((model, v) -> assertTrue(v > 0 && v <= 10, model + " TTFT p90 " + v + " s"));

            // every query of the Grafana dashboard, its $__rate_interval as 1m, answers series
            for (Map.Entry<String, List<String>> panel : GrafanaDashboardTest.panelExprs().entrySet()) {
                for (String expr : panel.getValue()) {
                    String query = expr.replace("$__rate_interval", "1m");
                    JsonNode answer = await(panel.getKey() + ": " + query).atMost(LOADED)
                            .until(() -> JSON.readTree(get(api + URLEncoder.encode(query, StandardCharsets.UTF_8))),
                                    a -> "success".equals(a.path("status").asText()) && !a.path("data").path("result").isEmpty());
                    assertEquals("vector", answer.path("data").path("resultType").asText(), query);
                }
            }

            // the alerting rules of docs/alerts loaded, each evaluated without error
            String rulesApi = "http://127.0.0.1:" + promPort + "/api/v1/rules";
            Map<String, String> health = await("Prometheus evaluated the alerting rules").atMost(LOADED)
                    .until(() -> ruleHealth(get(rulesApi)), m -> m.size() == 4 && !m.containsValue("unknown"));
            assertEquals(Map.of("LlmMeteringSloAttainmentBelowTarget", "ok", "LlmMeteringStatsStale", "ok",
                    "LlmMeteringDeadLettersRising", "ok", "LlmMeteringMisroutedRecords", "ok"), health);

            String live = get("http://127.0.0.1:" + servePort + "/metrics");
            assertTrue(live.contains("\n# TYPE kafka_stream_thread_process_rate gauge\n"), "the topology's Kafka Streams metrics are there");
            // the dead letters of each session task by reason: every reason there, at 0 (the simulator sends valid events)
            Map<String, Double> deadLetters = new TreeMap<>();
            Pattern deadLetter = Pattern.compile("^kafka_stream_metering_dead_letters_total\\{.*reason=\"([a-z_]+)\".*} (\\S+)$");
            live.lines().map(deadLetter::matcher).filter(Matcher::matches)
                    .forEach(m -> deadLetters.merge(m.group(1), Double.parseDouble(m.group(2)), Double::sum));
            Map<String, Double> none = new TreeMap<>();
            for (DeadLetterReason reason : DeadLetterReason.values()) {
                none.put(reason.wireName(), 0.0);
            }
            assertEquals(none, deadLetters, live);
            Promtool.Result lint = Promtool.check(live);
            assertTrue(lint.clean(), lint.toString());
        } finally {
            stop(prometheus);
            stop(run);
        }
    }

    /** {@code metering ARGS} as a child JVM, as {@code bin/metering} runs it; stdout and stderr in files. */
    private Process metering(String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"), "dev.llmmeter.cli.Main"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(dir.resolve("run.out").toFile()).redirectError(dir.resolve("run.err").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("METERING_"));
        return pb.start();
    }

    private static int dashboardPort(Path err) throws IOException {
        Matcher m = DASHBOARD.matcher(Files.exists(err) ? Files.readString(err) : "");
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /** An instant query's series, by their {@code model} label ("" when absent), to their value. */
    private Map<String, Double> byModel(String api, String query) throws Exception {
        return byLabel(api, query, "model");
    }

    /** An instant query's series, by their {@code label} ("" when absent), to their value ({@code NaN} as such). */
    private Map<String, Double> byLabel(String api, String query, String label) throws Exception {
        JsonNode body = JSON.readTree(get(api + URLEncoder.encode(query, StandardCharsets.UTF_8)));
        Map<String, Double> out = new TreeMap<>();
        if (!"success".equals(body.path("status").asText())) {
            return out;
        }
        for (JsonNode series : body.path("data").path("result")) {
            out.put(series.path("metric").path(label).asText(""), Double.parseDouble(series.path("value").get(1).asText()));
        }
        return out;
    }

    /** {@code /api/v1/rules}: each alerting rule's name to its health ({@code ok}, {@code err}, {@code unknown}). */
    private static Map<String, String> ruleHealth(String body) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (JsonNode group : JSON.readTree(body).path("data").path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                out.put(rule.path("name").asText(), rule.path("health").asText());
            }
        }
        return out;
    }

    private String get(String url) throws Exception {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "{}"; // not listening yet
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** SIGTERM (metering run stops as on Ctrl-C, prometheus shuts down), then SIGKILL if it lingers. */
    private static void stop(Process p) throws InterruptedException {
        if (p != null) {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
            }
        }
    }
}
