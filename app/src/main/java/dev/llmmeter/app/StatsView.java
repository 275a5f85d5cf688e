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
import java.util.function.IntSupplier;

/**
 * The live one-line terminal view of the stats: time, TPS, high, low, active; beside them, from the tick's
 * {@code global} insights record, TTFT p50/p99 and the system's tokens per second; then a sparkline of the last
 * minute's TPS. The stats and the insights come from two topics, in either order: a line is drawn when its stats
 * record comes, with the last insights figures known until the tick's own come, and drawn again when they change it.
 *
 * <p>The line fits in one column less than the terminal's width (so it never reaches the last column, where some
 * terminals wrap): as the width shrinks, the sparkline narrows to its last ticks and is left out below
 * {@link #MIN_SPARK_WIDTH}, then the insights figures go, then the padding ({@code hi}, {@code lo}, {@code act}), and
 * below that the line is cut.
 */
final class StatsView {
    static final int SPARK_WIDTH = 60;
    /** The narrowest sparkline drawn: fewer ticks than this tell little. */
    static final int MIN_SPARK_WIDTH = 10;
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
    private final IntSupplier columns;
    private Stats shown;
    private String drawn;

    /** @param columns the terminal's width, asked at each line drawn */
    StatsView(IntSupplier columns) {
        this.columns = columns;
    }

    /** Adds a stats record and returns the line to show for it. */
    String render(Stats s) {
        if (lastMinute.size() == SPARK_WIDTH) {
            lastMinute.removeFirst();
        }
        lastMinute.addLast(s.tps() == null ? Double.NaN : s.tps()); // ArrayDeque holds no nulls: NaN is "no TPS"
        shown = s;
        drawn = line();
        return drawn;
    }

    /**
     * Takes an insights record: a {@code global} one is kept for its tick.
     *
     * @return the line to draw again when it belongs to the tick shown and changes its line; null when there is
     *         nothing to redraw
     */
    String render(Insight insight) {
        if (insight.group() != Insight.Group.GLOBAL) {
            return null;
        }
        globals.put(insight.ts(), insight);
        if (shown == null || shown.ts() != insight.ts()) {
            return null;
        }
        String line = line();
        if (line.equals(drawn)) {
            return null;
        }
        drawn = line;
        return line;
    }

    /** The shown tick's global insights record; until it comes, the latest one before it; null when there is none. */
    private Insight insightsShown() {
        Insight exact = globals.get(shown.ts());
        if (exact != null) {
            return exact;
        }
        Insight latest = null;
        for (Insight i : globals.values()) {
            if (i.ts() < shown.ts() && (latest == null || i.ts() > latest.ts())) {
                latest = i;
            }
        }
        return latest;
    }

    private String line() {
        String time = TIME.format(Instant.ofEpochMilli(shown.ts()));
        String base = String.format(Locale.ROOT, "%s  TPS %7s  high %7s  low %7s  active %5d",
                time, number(shown.tps()), number(shown.high()), number(shown.low()), shown.active());
        int room = columns.getAsInt() - 1;
        Insight g = insightsShown();
        Insight.Percentiles ttft = g == null ? null : g.ttftMs();
        String extras = String.format(Locale.ROOT, "  TTFT p50 %6s p99 %6s ms  system %8s tok/s",
                ttft == null ? "-" : ms(ttft.p50()), ttft == null ? "-" : ms(ttft.p99()), g == null ? "-" : number(g.systemTps()));
        if (base.length() + extras.length() <= room) {
            int spark = Math.min(SPARK_WIDTH, room - base.length() - extras.length() - 2);
            return spark >= MIN_SPARK_WIDTH ? base + extras + "  " + sparkline(spark) : base + extras;
        }
        if (base.length() <= room) {
            return base;
        }
        String compact = String.format(Locale.ROOT, "%s TPS %s hi %s lo %s act %d",
                time, number(shown.tps()), number(shown.high()), number(shown.low()), shown.active());
        return fit(compact, room + 1);
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

    /** {@code line} cut to one column less than {@code columns}, as the stats line is at its narrowest. */
    static String fit(String line, int columns) {
        int room = Math.max(0, columns - 1);
        return line.length() <= room ? line : line.substring(0, room);
    }

    private static String number(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.1f", v);
    }

    /** Whole milliseconds (the sketch's figures are within 1% anyway). */
    private static String ms(double v) {
        return String.format(Locale.ROOT, "%.0f", v);
    }

    /** The whole minute's sparkline. */
    String sparkline() {
        return sparkline(SPARK_WIDTH);
    }

    /**
     * One character per record of the last {@code width} records of the last minute, scaled to the highest TPS
     * among them; blank where there was none.
     */
    String sparkline(int width) {
        int skip = Math.max(0, lastMinute.size() - width);
        double max = 0;
        int i = 0;
        for (double v : lastMinute) {
            if (i++ >= skip && !Double.isNaN(v)) {
                max = Math.max(max, v);
            }
        }
        StringBuilder b = new StringBuilder(lastMinute.size() - skip);
        i = 0;
        for (double v : lastMinute) {
            if (i++ < skip) {
                continue;
            }
            if (Double.isNaN(v)) {
                b.append(' ');
            } else {
                int bar = max <= 0 ? 0 : (int) Math.round(v / max * (BARS.length - 1));
                b.append(BARS[Math.max(0, Math.min(BARS.length - 1, bar))]);
            }
        }
        return b.toString();
    }
}
