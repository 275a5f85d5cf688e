package dev.llmmeter.app;

import dev.llmmeter.contract.Stats;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.Locale;

/** The live one-line terminal view of the stats: time, TPS, high, low, active, and a sparkline of the last minute's TPS. */
final class StatsView {
    static final int SPARK_WIDTH = 60;
    private static final char[] BARS = {'▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'};
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

    private final ArrayDeque<Double> lastMinute = new ArrayDeque<>();

    /** Adds a record and returns the line to show for it. */
    String render(Stats s) {
        if (lastMinute.size() == SPARK_WIDTH) {
            lastMinute.removeFirst();
        }
        lastMinute.addLast(s.tps() == null ? Double.NaN : s.tps()); // ArrayDeque holds no nulls: NaN is "no TPS"
        return String.format(Locale.ROOT, "%s  TPS %7s  high %7s  low %7s  active %5d  %s",
                TIME.format(Instant.ofEpochMilli(s.ts())), number(s.tps()), number(s.high()), number(s.low()),
                s.active(), sparkline());
    }

    private static String number(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.1f", v);
    }

    /** One character per record of the last minute, scaled to the highest TPS in it; blank where there was none. */
    String sparkline() {
        double max = 0;
        for (double v : lastMinute) {
            if (!Double.isNaN(v)) {
                max = Math.max(max, v);
            }
        }
        StringBuilder b = new StringBuilder(lastMinute.size());
        for (double v : lastMinute) {
            if (Double.isNaN(v)) {
                b.append(' ');
            } else {
                int i = max <= 0 ? 0 : (int) Math.round(v / max * (BARS.length - 1));
                b.append(BARS[Math.max(0, Math.min(BARS.length - 1, i))]);
            }
        }
        return b.toString();
    }
}
