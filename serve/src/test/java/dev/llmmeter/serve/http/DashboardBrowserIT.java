package dev.llmmeter.serve.http;

import dev.llmmeter.contract.Insight;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.contract.Usage;
import dev.llmmeter.serve.usage.UsageLedgerView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.llmmeter.serve.Records.insight;
import static dev.llmmeter.serve.Records.quantiles;
import static dev.llmmeter.serve.Records.stats;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The dashboard in a real browser (Debian's chromium and chromium-driver, headless): ticks fed once a
 * second show on the page, each equal to the record fed; the usage panel shows the ledger view's sums per tenant; the
 * models' and tenants' SLO attainment is red only under the target.
 * Skipped only where {@code /usr/bin/chromium} is absent; CI installs it.
 */
class DashboardBrowserIT {
    private static final int TICKS = 5;
    private static final String ADMIN = "admin-0123456789abcdef";
    private static final String ACME = "acme-0123456789abcdef";

    private ServerFixture f;
    private HeadlessChromium browser;
    private final ScheduledExecutorService traffic = Executors.newSingleThreadScheduledExecutor();
    private final AtomicInteger fed = new AtomicInteger();
    private final UsageLedgerView ledger = new UsageLedgerView();
    private final AtomicReference<String> ledgerNotReady = new AtomicReference<>("reading the usage ledger metering.usage up to its end");

    @BeforeEach
    void start() throws Exception {
        assumeTrue(HeadlessChromium.available(), "no " + HeadlessChromium.CHROMIUM + " (apt-get install chromium chromium-driver)");
        f = new ServerFixture(new Access(Tokens.parse(List.of(ADMIN + " admin", ACME + " tenant:acme")), List.of()));
        f.server.usage(ledger, ledgerNotReady::get, () -> 0);
        browser = new HeadlessChromium();
    }

    @AfterEach
    void stop() throws Exception {
        traffic.shutdownNow();
        if (browser != null) {
            browser.close();
        }
        if (f != null) {
            f.close();
        }
    }

    /** Tick i: tps 30.i, high 40.0, low 20.0, active 10+i; insights: system 100+i tokens/s, TTFT p50 800+i ms, p99 2000+i ms. */
    private void feed(int i, long ts) {
        f.view.offerInsight("global", insight("global", "null", 10 + i, "30." + i, (100 + i) + ".5",
                quantiles(800 + i, 1500, 2000 + i, 20), quantiles(30, 40, 90, 500), ts));
        f.view.offerInsight("model:llama-3-70b", insight("model", "\"llama-3-70b\"", 6, "31.0", (70 + i) + ".0",
                quantiles(700, 900, 1200, 12), "null", ts));
        f.view.offerInsight("tenant:acme", insight("tenant", "\"acme\"", 4, "29.0", (40 + i) + ".0",
                quantiles(900, 1000, 1900, 8), "null", ts));
        f.view.offerStats(stats("30." + i, "40.0", "20.0", 10 + i, ts));
        fed.set(i);
    }

    /** 2026-12-05T10:00:00Z: the ledger's clock is its own (the topology's), not this machine's. */
    private static final long H10 = 1_796_464_800_000L;

    private static Usage usage(String id, String tenant, long start, String in, long out, long reasoning, long cached, String amends) {
        return new Usage(id, "/llm-metering/test", tenant, "m1", Usage.Window.MINUTE, start, start + 60_000, 1, new BigInteger(in),
                BigInteger.valueOf(out), BigInteger.valueOf(reasoning), BigInteger.valueOf(cached), 0, amends);
    }

    /** Two tenants (one whose name is markup, one past 2^53 tokens), an amendment, and a day earlier left out. */
    private void feedLedger() {
        ledger.offer(usage("a", "acme", H10 - 2 * 3_600_000, "1200", 300, 0, 200, null));  // 08:00: today only
        ledger.offer(usage("b", "acme", H10 + 5 * 60_000, "40000", 2000, 500, 10_000, null)); // 10:05
        ledger.offer(usage("c", "acme", H10 + 5 * 60_000, "1000", 100, 0, 0, "b"));          // its amendment
        ledger.offer(usage("d", "<b>beta</b>", H10 + 10 * 60_000, "9007199254740000", 993, 0, 0, null)); // ends 10:11
        ledger.offer(usage("e", "<b>beta</b>", H10 - 10 * 3_600_000 - 60_000, "5", 5, 0, 0, null));     // yesterday
    }

    private String text(String id) {
        return browser.text(id);
    }

    @Test
    @DisplayName("with an admin token in ?access_token=, the dashboard's numbers follow the ticks, one a second, each equal to the records fed; "
            + "the usage panel shows each tenant's exact sums")
    void numbersFollowTheTicks() throws Exception {
        long first = System.currentTimeMillis() / 1000 * 1000;
        feed(0, first);
        browser.open("http://127.0.0.1:" + f.port + "/?access_token=" + ADMIN);
        await().atMost(Duration.ofSeconds(30)).until(() -> text("status").equals("live") && text("tps").equals("30.0"));
        assertEquals("http://127.0.0.1:" + f.port + "/", browser.currentUrl()); // the token left the address bar
        await().atMost(Duration.ofSeconds(30)).until(() -> text("usage-period")
                .equals("Usage unavailable: reading the usage ledger metering.usage up to its end"));
        ledgerNotReady.set(null);
        await().atMost(Duration.ofSeconds(30)).until(() -> text("usage-period").equals("The usage ledger holds no closed window yet."));

        traffic.scheduleAtFixedRate(() -> {
            int i = fed.get() + 1;
            if (i <= TICKS) {
                feed(i, first + i * 1000L);
            }
        }, 1, 1, TimeUnit.SECONDS);

        List<String> seen = new ArrayList<>();
        for (int i = 1; i <= TICKS; i++) {
            int n = i;
            await().atMost(Duration.ofSeconds(30)).until(() -> text("tps").equals("30." + n)
                    && text("system-tps").equals((100 + n) + ".5"));
            seen.add(text("tps"));
            assertEquals("40.0", text("high"));
            assertEquals("20.0", text("low"));
            assertEquals(String.valueOf(10 + n), text("active"));
            await().atMost(Duration.ofSeconds(30)).until(() -> text("ttft-p50").equals(String.valueOf(800 + n))
                    && text("ttft-p99").equals(String.valueOf(2000 + n)));
        }
        assertEquals(List.of("30.1", "30.2", "30.3", "30.4", "30.5"), seen);

        // the busiest first (by system tokens/s), with the last tick's figures
        List<String> expected = List.of("model llama-3-70b 6 31.0 75.0 700 1200 – – –", "tenant acme 4 29.0 45.0 900 1900 – – –");
        await().atMost(Duration.ofSeconds(30)).until(() -> rows().equals(expected));
        assertEquals("No SLO objective is set (metering.slo.ttft.ms, metering.slo.tpot.ms).", text("slo-note"));

        // the usage panel, polled: tenant, then this hour's and today's tokens, input, output, reasoning, cached input
        feedLedger();
        List<String> usage = List.of(
                "<b>beta</b> 9,007,199,254,740,993 9,007,199,254,740,000 993 0 0 9,007,199,254,740,993 9,007,199,254,740,000 993 0 0",
                "acme 43,600 41,000 2,100 500 10,000 45,100 42,200 2,400 500 10,200");
        await().atMost(Duration.ofSeconds(30)).until(() -> browser.texts("#usage-table tbody tr").equals(usage));
        assertEquals("Hour 10:00–11:00 and day 2026-12-05 (UTC) of the newest closed window, which ends at 10:11 UTC.",
                text("usage-period"));
        assertEquals(List.of(), browser.texts("#usage-table b"), "a tenant's name is text, never markup");

        browser.screenshot(Path.of("target", "dashboard.png"));
    }

    @Test
    @DisplayName("with a tenant token, the dashboard shows the global figures and that tenant's own group and usage only")
    void aTenantSeesItsOwnView() throws Exception {
        long first = System.currentTimeMillis() / 1000 * 1000;
        feed(0, first);
        ledgerNotReady.set(null);
        feedLedger();
        browser.open("http://127.0.0.1:" + f.port + "/?access_token=" + ACME);
        await().atMost(Duration.ofSeconds(30)).until(() -> text("status").equals("live") && text("tps").equals("30.0"));
        feed(1, first + 1000);
        await().atMost(Duration.ofSeconds(30)).until(() -> text("tps").equals("30.1") && text("system-tps").equals("101.5"));
        await().atMost(Duration.ofSeconds(30)).until(() -> rows().equals(List.of("tenant acme 4 29.0 41.0 900 1900 – – –")));
        await().atMost(Duration.ofSeconds(30)).until(() -> browser.texts("#usage-table tbody tr")
                .equals(List.of("acme 43,600 41,000 2,100 500 10,000 45,100 42,200 2,400 500 10,200")));
    }

    @Test
    @DisplayName("opened without a token on a server that needs one, the dashboard asks for it, then shows that token's view")
    void asksForATokenOn401() throws Exception {
        long first = System.currentTimeMillis() / 1000 * 1000;
        feed(0, first);
        browser.open("http://127.0.0.1:" + f.port + "/");
        browser.answerPrompt(ACME, Duration.ofSeconds(30));
        await().atMost(Duration.ofSeconds(30)).until(() -> text("status").equals("live") && text("tps").equals("30.0"));
        feed(1, first + 1000);
        await().atMost(Duration.ofSeconds(30)).until(() -> rows().equals(List.of("tenant acme 4 29.0 41.0 900 1900 – – –")));
    }

    @Test
    @DisplayName("a page opened after 6 ticks draws those 6 points at once from the server's ring, then the live ticks after them, none twice")
    void theChartFillsFromTheRingOnLoad() throws Exception {
        long first = System.currentTimeMillis() / 1000 * 1000;
        for (int i = 0; i < 6; i++) {
            feed(i, first + i * 1000L);
        }
        browser.open("http://127.0.0.1:" + f.port + "/?access_token=" + ACME);
        await().atMost(Duration.ofSeconds(30)).until(() -> text("status").equals("live") && text("tps").equals("30.5"));
        long s = first / 1000;
        String six = "[[" + s + "," + (s + 1) + "," + (s + 2) + "," + (s + 3) + "," + (s + 4) + "," + (s + 5) + "],"
                + "[30,30.1,30.2,30.3,30.4,30.5],[40,40,40,40,40,40],[20,20,20,20,20,20]]";
        await().atMost(Duration.ofSeconds(30)).until(() -> chartData().equals(six));
        assertEquals(six, chartData());

        feed(6, first + 6000);
        String seven = "[[" + s + "," + (s + 1) + "," + (s + 2) + "," + (s + 3) + "," + (s + 4) + "," + (s + 5) + "," + (s + 6) + "],"
                + "[30,30.1,30.2,30.3,30.4,30.5,30.6],[40,40,40,40,40,40,40],[20,20,20,20,20,20,20]]";
        await().atMost(Duration.ofSeconds(30)).until(() -> text("tps").equals("30.6"));
        await().atMost(Duration.ofSeconds(30)).until(() -> chartData().equals(seven));
    }

    private static Insight.Attainment judged(long streams, long met, double goodputTokensPerSecond) {
        return new Insight.Attainment(streams, streams, met, 0, 0, met, met / (double) streams, null, met / (double) streams,
                met / 60.0, goodputTokensPerSecond);
    }

    private static final Insight.Attainment NONE_JUDGED = new Insight.Attainment(0, 0, 0, 0, 0, 0, null, null, null, 0.0, 0.0);

    private void offer(Insight i) {
        f.view.offerInsight(i.key(), Topics.INSIGHTS.serializeValue(i));
    }

    @Test
    @DisplayName("SLO attainment beside each model and tenant: a percent with one decimal per window, red only under the target "
            + "(49 of 50 and 9,899 of 10,000 under 99%; 99 of 100, exactly at it, is not), '–' without judged streams or without an objective")
    void attainmentIsRedOnlyUnderTheTarget() throws Exception {
        long ts = System.currentTimeMillis() / 1000 * 1000;
        Insight.Slo none = new Insight.Slo(500.0, null, 0.99, NONE_JUDGED, NONE_JUDGED);
        offer(new Insight(ts, Insight.Group.GLOBAL, null, 10, 30.0, 170.0, null, null, null, 3, 1,
                new Insight.Slo(500.0, null, 0.99, judged(150, 148, 52.5), judged(400, 398, 50.0))));
        offer(new Insight(ts, Insight.Group.MODEL, "fast", 6, 31.0, 90.0, null, null, null, 3, 1,
                new Insight.Slo(200.0, null, 0.99, judged(50, 49, 40.5), judged(200, 199, 38.0))));
        offer(new Insight(ts, Insight.Group.MODEL, "close", 5, 30.0, 85.0, null, null, null, 3, 1,
                new Insight.Slo(500.0, null, 0.99, judged(10_000, 9_899, 20.0), NONE_JUDGED)));
        offer(new Insight(ts, Insight.Group.MODEL, "steady", 4, 29.0, 80.0, null, null, null, 3, 1,
                new Insight.Slo(500.0, null, 0.99, judged(100, 99, 12.0), NONE_JUDGED)));
        offer(new Insight(ts, Insight.Group.TENANT, "idle", 0, null, 75.0, null, null, null, 0, 0, none));
        offer(new Insight(ts, Insight.Group.TENANT, "acme", 2, 28.0, 70.0, null, null, null, 3, 1, null));
        f.view.offerStats(stats("30.0", "40.0", "20.0", 10, ts));
        browser.open("http://127.0.0.1:" + f.port + "/?access_token=" + ADMIN);

        // group, name, active, tokens/s, system tokens/s, TTFT p50, p99, SLO 1 min, SLO 1 h, goodput tokens/s
        List<String> expected = List.of(
                "model fast 6 31.0 90.0 – – 98.0% 99.5% 40.5",
                "model close 5 30.0 85.0 – – 99.0% – 20.0",
                "model steady 4 29.0 80.0 – – 99.0% – 12.0",
                "tenant idle 0 – 75.0 – – – – 0.0",
                "tenant acme 2 28.0 70.0 – – – – –");
        await().atMost(Duration.ofSeconds(30)).until(() -> rows().equals(expected));
        // each SLO cell's class and computed colour, row by row: only the last minutes of fast (0.98) and close
        // (0.9899, shown rounded as 99.0%) are red, under 0.99; steady's, exactly at it, is not
        String normal = "rgb(29, 35, 48)", red = "rgb(198, 40, 40)";
        assertEquals(List.of(
                        List.of("under", red, "", normal), List.of("under", red, "", normal), List.of("", normal, "", normal),
                        List.of("", normal, "", normal), List.of("", normal, "", normal)),
                browser.script("return Array.from(document.querySelectorAll('#groups tbody tr')).map(function (tr) {"
                        + " return [8, 9].flatMap(function (n) { var td = tr.querySelector('td:nth-child(' + n + ')');"
                        + " return [td.className, getComputedStyle(td).color]; }); });"));
        assertEquals("SLO: of the streams that left in the last minute (1 min) or hour (1 h), the share that met all their "
                + "objectives; red under the target, 99.0% (metering.slo.target). Goodput: the output tokens per second of the "
                + "last minute's streams that met them.", text("slo-note"));
        browser.screenshot(Path.of("target", "dashboard-slo.png"));
    }

    /** The chart's data as the page holds it: x (seconds), tps, high, low, as JSON. */
    private String chartData() {
        return (String) browser.script("return JSON.stringify(window.meteringChart.data);");
    }

    private List<String> rows() {
        return browser.texts("#groups tbody tr");
    }
}
