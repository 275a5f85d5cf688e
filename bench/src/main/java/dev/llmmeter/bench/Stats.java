package dev.llmmeter.bench;

import java.util.Arrays;
import java.util.Collection;

/** Order statistics over a handful of figures. */
public final class Stats {
    private Stats() {
    }

    /** The median (mean of the two middle values for an even count); NaN for none. */
    public static double median(Collection<Double> values) {
        double[] v = values.stream().filter(x -> !Double.isNaN(x)).mapToDouble(Double::doubleValue).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        int mid = v.length / 2;
        return v.length % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
    }

    /** The q-quantile (0..1) of sorted values, nearest rank: the smallest value with at least q of them at or below it. */
    public static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    public static double[] sorted(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s;
    }
}
