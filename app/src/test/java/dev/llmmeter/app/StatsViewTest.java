package dev.llmmeter.app;

import dev.llmmeter.contract.Insight;
import dev.llmmeter.contract.Stats;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class StatsViewTest {
    private static final long T = 1_790_000_000_000L;
    private static final String NO_INSIGHTS = "TTFT p50      - p99      - ms  system        - tok/s";

    private static String time(long ts) {
        return DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault()).format(Instant.ofEpochMilli(ts));
    }

    private static Insight global(long ts, Insight.Percentiles ttft, double systemTps) {
        return new Insight(ts, Insight.Group.GLOBAL, null, 3, 20.0, systemTps, ttft,
                new Insight.Percentiles(22.0, 40.0, 95.0, 180), null, 4, 1);
    }

    @Test
    void rendersTheFiguresAndASparklineScaledToTheMinutesHigh() {
        StatsView view = new StatsView();
        view.render(new Stats(10.0, true, false, 10.0, 10.0, 2, T));
        view.render(new Stats(null, false, false, 10.0, 10.0, 2, T + 1000));
        String line = view.render(new Stats(20.0, true, false, 20.0, 10.0, 3, T + 2000));
        assertEquals(time(T + 2000) + "  TPS    20.0  high    20.0  low    10.0  active     3  " + NO_INSIGHTS + "  ▅ █", line);
    }

    @Test
    void theTicksGlobalInsightsRecordAddsTtftPercentilesAndSystemTokensPerSecondBesideTheSeedsFigures() {
        StatsView view = new StatsView();
        view.render(new Stats(20.0, true, false, 20.0, 20.0, 3, T));
        String redrawn = view.render(global(T, new Insight.Percentiles(212.4, 900.0, 1480.6, 7), 1234.5));
        assertEquals(time(T) + "  TPS    20.0  high    20.0  low    20.0  active     3  "
                + "TTFT p50    212 p99   1481 ms  system   1234.5 tok/s  █", redrawn);
    }

    @Test
    void anInsightsRecordAheadOfItsStatsRecordIsShownWithItAndOtherGroupsAreNot() {
        StatsView view = new StatsView();
        view.render(new Stats(20.0, true, false, 20.0, 20.0, 3, T));
        assertNull(view.render(global(T + 1000, new Insight.Percentiles(150.0, 150.0, 150.0, 1), 30.0)),
                "a later tick's record draws nothing yet");
        assertNull(view.render(new Insight(T, Insight.Group.MODEL, "m1", 1, 5.0, 99.9, null, null, null, 0, 0)));
        assertEquals(time(T + 1000) + "  TPS    10.0  high    20.0  low    10.0  active     2  "
                        + "TTFT p50    150 p99    150 ms  system     30.0 tok/s  █▅",
                view.render(new Stats(10.0, true, false, 20.0, 10.0, 2, T + 1000)));
        view.render(new Stats(10.0, true, false, 20.0, 10.0, 2, T + 2000));
        assertEquals(time(T + 2000) + "  TPS    10.0  high    20.0  low    10.0  active     2  "
                        + "TTFT p50      - p99      - ms  system      0.0 tok/s  █▅▅",
                view.render(global(T + 2000, null, 0.0)), "no first delta in the last minute: no TTFT");
    }

    @Test
    void aGroupsLineShowsItsFiguresAndDashesForWhatItHasNot() {
        Insight model = new Insight(T, Insight.Group.MODEL, "llama-3.1-8b", 12, 88.4, 1061.3,
                new Insight.Percentiles(190.2, 260.0, 299.5, 14), new Insight.Percentiles(11.1, 15.0, 31.6, 9000), null, 14, 2);
        assertEquals(time(T) + "  model:llama-3.1-8b  active    12  TPS    88.4  system   1061.3 tok/s  "
                + "TTFT p50    190 p99    300 ms  ITL p50     11 p99     32 ms  started 14  ended 2", StatsView.renderGroup(model));
        Insight idle = new Insight(T, Insight.Group.TENANT, "acme", 0, null, 0.0, null, null, null, 0, 3);
        assertEquals(time(T) + "  tenant:acme  active     0  TPS       -  system      0.0 tok/s  "
                + "TTFT p50      - p99      - ms  ITL p50      - p99      - ms  started 0  ended 3", StatsView.renderGroup(idle));
    }

    @Test
    void sparklineKeepsTheLastMinute() {
        StatsView view = new StatsView();
        for (int i = 0; i < 75; i++) {
            view.render(new Stats(1.0, true, false, 1.0, 1.0, 1, T + i * 1000L));
        }
        assertEquals("█".repeat(60), view.sparkline());
        assertEquals("-", view.render(new Stats(null, false, false, null, null, 0, T)).split("TPS\\s+")[1].substring(0, 1));
    }
}
