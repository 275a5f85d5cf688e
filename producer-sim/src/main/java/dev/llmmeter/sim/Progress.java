package dev.llmmeter.sim;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The one-line progress report: events sent, events/s over the last interval, live streams; rewritten in
 * place (carriage return) about once a second. The clock is read only every {@value #CHECK_EVERY} events
 * (and while the pacer waits), to keep it off the hot path.
 */
public final class Progress {
    public static final long INTERVAL_NANOS = 1_000_000_000L;
    static final int CHECK_EVERY = 64;

    private final PrintWriter out;
    private final LongSupplier nanoClock;
    private final String label;
    private long sent;
    private long lastNanos;
    private long lastSent;
    private int lastLength;
    private boolean printed;

    /**
     * @param out       where the line goes (stderr); null for no report
     * @param nanoClock {@link System#nanoTime()} outside tests
     * @param label     the line's prefix, e.g. {@code simulate}
     */
    public Progress(PrintWriter out, LongSupplier nanoClock, String label) {
        this.out = out;
        this.nanoClock = nanoClock;
        this.label = label;
        this.lastNanos = nanoClock.getAsLong();
    }

    public static Progress silent() {
        return new Progress(null, () -> 0L, "");
    }

    /** Counts one event sent; may rewrite the line. */
    public void eventSent(int liveStreams) {
        if (++sent % CHECK_EVERY == 0) {
            poll(liveStreams);
        }
    }

    /** Rewrites the line when an interval has passed since the last one. */
    public void poll(int liveStreams) {
        if (out == null) {
            return;
        }
        long now = nanoClock.getAsLong();
        if (now - lastNanos >= INTERVAL_NANOS) {
            print(now, liveStreams);
        }
    }

    /** Ends the line (with a last update) if one was printed; a short run prints nothing. */
    public void finish(int liveStreams) {
        if (out != null && printed) {
            print(nanoClock.getAsLong(), liveStreams);
            out.println();
            out.flush();
            printed = false;
        }
    }

    public long sent() {
        return sent;
    }

    private void print(long now, int liveStreams) {
        double seconds = Math.max(now - lastNanos, 1) / 1e9;
        String line = String.format(Locale.ROOT, "%s: %,d events sent, %,.0f events/s, %,d live streams",
                label, sent, (sent - lastSent) / seconds, liveStreams);
        int pad = Math.max(0, lastLength - line.length());
        out.print("\r" + line + " ".repeat(pad));
        out.flush();
        lastLength = line.length();
        lastNanos = now;
        lastSent = sent;
        printed = true;
    }
}
