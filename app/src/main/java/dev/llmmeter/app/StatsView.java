package dev.llmmeter.app;

import dev.llmmeter.contract.Insight;
import dev.llmmeter.contract.Stats;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The live one-line terminal view of the stats: time, TPS, high, low, active; beside them, from the tick's
 * {@code global} insights record, TTFT p50/p99 and the system's tokens per second; then a sparkline of the last
 * minute's TPS. The stats and the insights come from two topics, in either order: a line is drawn when its stats
 * record comes, and drawn again when the same tick's global insights record comes after it.
 */
final class StatsView {
    static final int SPARK_WIDTH = 60;
    /** Global insights records kept for a stats record still to come (the two topics are read side by side). */
    static final int PENDING_INSIGHTS = 8;
    private static final char[] BARS = {'▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'};
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

    private final ArrayDeque<Double> lastMinute = new ArrayDeque<>();
    private final Map<Long, Insight> globals = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Insight> eldest) {
            return size() > PENDING_INSIGHTS;
        }
    };
    private Stats shown;

    /** Adds a stats record and returns the line to show for it. */
    String render(Stats s) {
        if (lastMinute.size() == SPARK_WIDTH) {
            lastMinute.removeFirst();
        }
        lastMinute.addLast(s.tps() == null ? Double.NaN : s.tps()); // ArrayDeque holds no nulls: NaN is "no TPS"
        shown = s;
        return line();
    }

    /**
     * Takes an insights record: a {@code global} one is kept for its tick.
     *
     * @return the line to draw again when it belongs to the tick shown; null when there is nothing to redraw
     */
    String render(Insight insight) {
        if (insight.group() != Insight.Group.GLOBAL) {
            return null;
        }
        globals.put(insight.ts(), insight);
        return shown != null && shown.ts() == insight.ts() ? line() : null;
    }

    private String line() {
        Insight g = globals.get(shown.ts());
        Insight.Percentiles ttft = g == null ? null : g.ttftMs();
        return String.format(Locale.ROOT, "%s  TPS %7s  high %7s  low %7s  active %5d  TTFT p50 %6s p99 %6s ms  system %8s tok/s  %s",
                TIME.format(Instant.ofEpochMilli(shown.ts())), number(shown.tps()), number(shown.high()), number(shown.low()),
                shown.active(), ttft == null ? "-" : ms(ttft.p50()), ttft == null ? "-" : ms(ttft.p99()),
                g == null ? "-" : number(g.systemTps()), sparkline());
    }

    /**
     * One group's line for {@code tail --group}: time, the group, active, TPS, system tokens/s, TTFT and inter-delta
     * latency p50/p99, and the begins and ends of the last minute.
     */
    static String renderGroup(Insight i) {
        Insight.Percentiles ttft = i.ttftMs();
        Insight.Percentiles itl = i.itlMs();
        return String.format(Locale.ROOT,
                "%s  %s  active %5d  TPS %7s  system %8s tok/s  TTFT p50 %6s p99 %6s ms  ITL p50 %6s p99 %6s ms  started %d  ended %d",
                TIME.format(Instant.ofEpochMilli(i.ts())), i.key(), i.active(), number(i.tps()), number(i.systemTps()),
                ttft == null ? "-" : ms(ttft.p50()), ttft == null ? "-" : ms(ttft.p99()),
                itl == null ? "-" : ms(itl.p50()), itl == null ? "-" : ms(itl.p99()), i.started(), i.ended());
    }

    private static String number(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.1f", v);
    }

    /** Whole milliseconds (the sketch's figures are within 1% anyway). */
    private static String ms(double v) {
        return String.format(Locale.ROOT, "%.0f", v);
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
