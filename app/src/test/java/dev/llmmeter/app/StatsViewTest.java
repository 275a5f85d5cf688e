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
        StatsView view = new StatsView(() -> 200);
        view.render(new Stats(10.0, true, false, 10.0, 10.0, 2, T));
        view.render(new Stats(null, false, false, 10.0, 10.0, 2, T + 1000));
        String line = view.render(new Stats(20.0, true, false, 20.0, 10.0, 3, T + 2000));
        assertEquals(time(T + 2000) + "  TPS    20.0  high    20.0  low    10.0  active     3  " + NO_INSIGHTS + "  ▅ █", line);
    }

    @Test
    void theTicksGlobalInsightsRecordAddsTtftPercentilesAndSystemTokensPerSecondBesideTheSeedsFigures() {
        StatsView view = new StatsView(() -> 200);
        view.render(new Stats(20.0, true, false, 20.0, 20.0, 3, T));
        String redrawn = view.render(global(T, new Insight.Percentiles(212.4, 900.0, 1480.6, 7), 1234.5));
        assertEquals(time(T) + "  TPS    20.0  high    20.0  low    20.0  active     3  "
                + "TTFT p50    212 p99   1481 ms  system   1234.5 tok/s  █", redrawn);
    }

    @Test
    void anInsightsRecordAheadOfItsStatsRecordIsShownWithItAndOtherGroupsAreNot() {
        StatsView view = new StatsView(() -> 200);
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

    private static final String BASE = "  TPS    25.0  high    25.0  low     1.0  active     3";
    private static final String EXTRAS = "  TTFT p50    212 p99   1481 ms  system   1234.5 tok/s";

    /**
     * The line of the 25th of ticks with TPS 1.0 to 25.0 (high the same, low 1.0, active 3), its global insights
     * record come ahead of it, at {@code columns} columns.
     */
    private static String twentyFifthTick(int columns) {
        StatsView view = new StatsView(() -> columns);
        for (int i = 0; i < 24; i++) {
            view.render(new Stats(i + 1.0, true, false, i + 1.0, 1.0, 3, T + i * 1000L));
        }
        view.render(global(T + 24_000, new Insight.Percentiles(212.4, 900.0, 1480.6, 7), 1234.5));
        return view.render(new Stats(25.0, true, false, 25.0, 1.0, 3, T + 24_000));
    }

    @Test
    void atTwoHundredColumnsTheLineHasEverythingAndTheSparklineAllTheMinutesTicks() {
        String line = twentyFifthTick(200);
        assertEquals(time(T + 24_000) + BASE + EXTRAS + "  ▁▂▂▂▂▃▃▃▄▄▄▄▅▅▅▅▆▆▆▇▇▇▇██", line);
        assertEquals(143, line.length());
    }

    @Test
    void narrowerTheSparklineShowsTheLastTicksScaledToTheirHighAndBelowTenTicksIsLeftOut() {
        assertEquals(time(T + 24_000) + BASE + EXTRAS + "  ▂▃▃▃▄▄▄▄▅▅▅▅▆▆▆▇▇▇▇██", twentyFifthTick(140));
        assertEquals(time(T + 24_000) + BASE + EXTRAS + "  ▅▅▆▆▆▇▇▇▇██", twentyFifthTick(130));
        assertEquals(129, twentyFifthTick(130).length(), "one column less than the terminal's");
        assertEquals(time(T + 24_000) + BASE + EXTRAS, twentyFifthTick(128), "room for 9 ticks: no sparkline");
    }

    @Test
    void atOneHundredTwentyColumnsTheSparklineIsLeftOutAndAtEightyTheInsightsFiguresToo() {
        assertEquals(time(T + 24_000) + BASE + EXTRAS, twentyFifthTick(120));
        assertEquals(116, twentyFifthTick(120).length());
        assertEquals(time(T + 24_000) + BASE, twentyFifthTick(80));
        assertEquals(62, twentyFifthTick(80).length());
    }

    @Test
    void atFortyColumnsTheSeedsFiguresLoseTheirPaddingAndNarrowerStillTheLineIsCut() {
        assertEquals(time(T + 24_000) + " TPS 25.0 hi 25.0 lo 1.0 act 3", twentyFifthTick(40));
        assertEquals((time(T + 24_000) + " TPS 25.0 h"), twentyFifthTick(20));
        assertEquals("", twentyFifthTick(1));
    }

    @Test
    void untilItsOwnInsightsRecordComesATickShowsTheLastFiguresAndARecordThatChangesNothingDrawsNothing() {
        StatsView view = new StatsView(() -> 200);
        Insight.Percentiles ttft = new Insight.Percentiles(212.4, 900.0, 1480.6, 7);
        view.render(new Stats(20.0, true, false, 20.0, 20.0, 3, T));
        view.render(global(T, ttft, 1234.5));
        String kept = "TTFT p50    212 p99   1481 ms  system   1234.5 tok/s";
        assertEquals(time(T + 1000) + "  TPS    20.0  high    20.0  low    20.0  active     3  " + kept + "  ██",
                view.render(new Stats(20.0, true, false, 20.0, 20.0, 3, T + 1000)), "not '-' while the tick's own is on its way");
        assertNull(view.render(global(T + 1000, ttft, 1234.5)), "the same figures: the line is not drawn again");
        view.render(new Stats(20.0, true, false, 20.0, 20.0, 3, T + 2000));
        assertEquals(time(T + 2000) + "  TPS    20.0  high    20.0  low    20.0  active     3  "
                        + "TTFT p50    212 p99   1481 ms  system   1300.0 tok/s  ███",
                view.render(global(T + 2000, ttft, 1300.0)), "new figures: drawn again");
    }

    @Test
    void atEightyColumnsTheInsightsRecordRedrawsNothing() {
        StatsView view = new StatsView(() -> 80);
        view.render(new Stats(20.0, true, false, 20.0, 20.0, 3, T));
        assertNull(view.render(global(T, new Insight.Percentiles(212.4, 900.0, 1480.6, 7), 1234.5)));
    }

    @Test
    void aGroupsLineIsCutToOneColumnLessThanTheTerminals() {
        assertEquals("12345678", StatsView.fit("1234567890", 9));
        assertEquals("1234567890", StatsView.fit("1234567890", 11));
        assertEquals("", StatsView.fit("1234567890", 0));
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
        StatsView view = new StatsView(() -> 200);
        for (int i = 0; i < 75; i++) {
            view.render(new Stats(1.0, true, false, 1.0, 1.0, 1, T + i * 1000L));
        }
        assertEquals("█".repeat(60), view.sparkline());
        assertEquals("-", view.render(new Stats(null, false, false, null, null, 0, T)).split("TPS\\s+")[1].substring(0, 1));
    }
}
