package dev.llmmeter.topology;

import java.util.Arrays;

/**
 * A running sum of finite doubles kept exactly, to which values are added and from which they are taken away, read
 * as the exact sum rounded once to the nearest double (ties to even): Python's {@code math.fsum} over the values
 * currently in it, whatever the order of the additions and removals.
 *
 * <p>Why: a session task keeps its streams' rates summed as they change, instead of adding every live stream's rate
 * at every tick. A plain running {@code sum += new - old} would drift from the sum of the rates actually live; this
 * one cannot. It can differ from the seed's own left-to-right {@code sum(active_tps)} in the last bits (that sum
 * rounds after every addition): see the deviations in {@code docs/semantics.md}.
 *
 * <p>How: Shewchuk's exact partials (the algorithm of CPython's {@code math.fsum}): the sum is held as a short list
 * of non-overlapping doubles, smallest magnitude first, whose exact sum is the exact running sum; adding a value
 * runs it through the list with error-free two-sums. The list holds a few doubles for rates of similar magnitudes.
 * Infinities and NaN are refused: a stream's rate is never one.
 */
public final class ExactSum {
    private double[] partials = new double[4];
    private int size;

    /** Adds {@code x} exactly. */
    public void add(double x) {
        if (!Double.isFinite(x)) {
            throw new IllegalArgumentException("only finite values can be summed exactly, got " + x);
        }
        int i = 0;
        for (int j = 0; j < size; j++) {
            double y = partials[j];
            if (Math.abs(x) < Math.abs(y)) {
                double t = x;
                x = y;
                y = t;
            }
            double hi = x + y;
            double lo = y - (hi - x);
            if (lo != 0.0) {
                partials[i++] = lo;
            }
            x = hi;
        }
        if (x != 0.0) {
            if (i == partials.length) {
                partials = Arrays.copyOf(partials, 2 * partials.length);
            }
            partials[i++] = x;
        }
        size = i;
    }

    /** Takes {@code x} away exactly (adds {@code -x}). */
    public void subtract(double x) {
        add(-x);
    }

    /** Whether the exact sum is zero (then {@link #value} is 0.0). */
    public boolean isZero() {
        return size == 0;
    }

    /** The exact sum rounded once to the nearest double, ties to even (CPython's {@code math.fsum} rounding). */
    public double value() {
        int n = size;
        if (n == 0) {
            return 0.0;
        }
        double hi = partials[--n];
        double lo = 0.0;
        while (n > 0) {
            double x = hi;
            double y = partials[--n];
            hi = x + y;
            double yr = hi - x;
            lo = y - yr;
            if (lo != 0.0) {
                break;
            }
        }
        // hi + lo rounded half-even is hi; make it the correct rounding of the whole when the partials below lo
        // push lo past the half way (same sign as lo), as CPython does
        if (n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0))) {
            double y = lo * 2.0;
            double x = hi + y;
            double yr = x - hi;
            if (y == yr) {
                hi = x;
            }
        }
        return hi;
    }
}
