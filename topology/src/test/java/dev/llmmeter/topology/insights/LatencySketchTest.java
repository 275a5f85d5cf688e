package dev.llmmeter.topology.insights;

import dev.llmmeter.contract.Insight;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatencySketchTest {

    private static long exact(long[] sorted, double q) {
        return sorted[(int) Math.floor(q * (sorted.length - 1))];
    }

    @Test
    void everyPercentileIsWithinOnePercentOfTheExactSortedValue() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int trial = 0; trial < 20; trial++) {
            int n = 1 + rnd.nextInt(5_000);
            long[] values = new long[n];
            LatencySketch s = new LatencySketch();
            for (int i = 0; i < n; i++) {
                values[i] = (long) Math.exp(rnd.nextDouble() * Math.log(600_000)); // log-uniform, 1 ms .. 10 min
                s.add(values[i]);
            }
            Arrays.sort(values);
            for (double q : new double[] {0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1}) {
                long x = exact(values, q);
                double est = s.quantile(q);
                assertTrue(Math.abs(est - x) <= 0.01 * x, "q " + q + ": " + est + " vs exact " + x);
            }
            assertEquals(n, s.count());
        }
    }

    @Test
    void smallValuesComeOutExact() {
        for (long v = 0; v < 10; v++) {
            LatencySketch s = new LatencySketch();
            s.add(v);
            assertEquals(new Insight.Percentiles(v, v, v, 1), s.percentiles());
        }
    }

    @Test
    void mergingSketchesIsSketchingEveryValue() {
        LatencySketch a = new LatencySketch();
        LatencySketch b = new LatencySketch();
        LatencySketch both = new LatencySketch();
        for (long v = 1; v <= 1000; v++) {
            (v % 3 == 0 ? a : b).add(v * 7);
            both.add(v * 7);
        }
        a.mergeWith(b);
        assertEquals(both.percentiles(), a.percentiles());
        assertEquals(1000, a.count());
    }

    @Test
    void encodingRoundTripsAndStaysWithinItsBound() {
        LatencySketch full = new LatencySketch();
        for (double v = 1; v <= LatencySketch.MAX_MS; v *= 1.002) {
            full.add((long) v);
            full.add((long) v);
        }
        full.add(-5); // a producer whose clock stepped back: clamped to 0
        full.add(Long.MAX_VALUE); // clamped to an hour
        byte[] bytes = full.encode();
        assertTrue(bytes.length <= LatencySketch.MAX_ENCODED_BYTES, bytes.length + " > " + LatencySketch.MAX_ENCODED_BYTES);
        LatencySketch back = LatencySketch.decode(bytes, 0, bytes.length);
        assertEquals(full.percentiles(), back.percentiles());
        assertEquals(0.0, back.quantile(0));
        assertTrue(Math.abs(back.quantile(1) - LatencySketch.MAX_MS) <= 0.01 * LatencySketch.MAX_MS);
        assertNull(new LatencySketch().percentiles());
    }
}
