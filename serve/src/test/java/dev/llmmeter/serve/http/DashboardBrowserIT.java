package dev.llmmeter.serve.http;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.llmmeter.serve.Records.insight;
import static dev.llmmeter.serve.Records.quantiles;
import static dev.llmmeter.serve.Records.stats;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The dashboard in a real browser (Debian's chromium and chromium-driver, headless): ticks fed once a
 * second show on the page, each equal to the record fed. Skipped only where {@code /usr/bin/chromium} is
 * absent; CI installs it.
 */
class DashboardBrowserIT {
    private static final int TICKS = 5;
    private static final String ADMIN = "admin-0123456789abcdef";
    private static final String ACME = "acme-0123456789abcdef";

    private ServerFixture f;
    private HeadlessChromium browser;
    private final ScheduledExecutorService traffic = Executors.newSingleThreadScheduledExecutor();
    private final AtomicInteger fed = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        assumeTrue(HeadlessChromium.available(), "no " + HeadlessChromium.CHROMIUM + " (apt-get install chromium chromium-driver)");
        f = new ServerFixture(new Access(Tokens.parse(List.of(ADMIN + " admin", ACME + " tenant:acme")), List.of()));
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

    private String text(String id) {
        return browser.text(id);
    }

    @Test
    @DisplayName("with an admin token in ?access_token=, the dashboard's numbers follow the ticks, one a second, each equal to the records fed")
    void numbersFollowTheTicks() throws Exception {
        long first = System.currentTimeMillis() / 1000 * 1000;
        feed(0, first);
        browser.open("http://127.0.0.1:" + f.port + "/?access_token=" + ADMIN);
        await().atMost(Duration.ofSeconds(30)).until(() -> text("status").equals("live") && text("tps").equals("30.0"));
        assertEquals("http://127.0.0.1:" + f.port + "/", browser.currentUrl()); // the token left the address bar

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
        List<String> expected = List.of("model llama-3-70b 6 31.0 75.0 700 1200", "tenant acme 4 29.0 45.0 900 1900");
        await().atMost(Duration.ofSeconds(30)).until(() -> rows().equals(expected));

        browser.screenshot(Path.of("target", "dashboard.png"));
    }

    @Test
    @DisplayName("with a tenant token, the dashboard shows the global figures and that tenant's own group only")
    void aTenantSeesItsOwnView() throws Exception {
        long first = System.currentTimeMillis() / 1000 * 1000;
        feed(0, first);
        browser.open("http://127.0.0.1:" + f.port + "/?access_token=" + ACME);
        await().atMost(Duration.ofSeconds(30)).until(() -> text("status").equals("live") && text("tps").equals("30.0"));
        feed(1, first + 1000);
        await().atMost(Duration.ofSeconds(30)).until(() -> text("tps").equals("30.1") && text("system-tps").equals("101.5"));
        await().atMost(Duration.ofSeconds(30)).until(() -> rows().equals(List.of("tenant acme 4 29.0 41.0 900 1900")));
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
        await().atMost(Duration.ofSeconds(30)).until(() -> rows().equals(List.of("tenant acme 4 29.0 41.0 900 1900")));
    }

    private List<String> rows() {
        return browser.texts("#groups tbody tr");
    }
}
