package dev.llmmeter.app;

import dev.llmmeter.contract.Stats;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StatsViewTest {
    private static final long T = 1_790_000_000_000L;

    @Test
    void rendersTheFiguresAndASparklineScaledToTheMinutesHigh() {
        StatsView view = new StatsView();
        view.render(new Stats(10.0, true, false, 10.0, 10.0, 2, T));
        view.render(new Stats(null, false, false, 10.0, 10.0, 2, T + 1000));
        String line = view.render(new Stats(20.0, true, false, 20.0, 10.0, 3, T + 2000));
        String time = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault()).format(Instant.ofEpochMilli(T + 2000));
        assertEquals(time + "  TPS    20.0  high    20.0  low    10.0  active     3  ▅ █", line);
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
