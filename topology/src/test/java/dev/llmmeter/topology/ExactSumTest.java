package dev.llmmeter.topology;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExactSumTest {
    @Test
    void tenTimesZeroPointOneIsOneAsPythonsFsumGivesNotTheLeftToRightSum() {
        ExactSum sum = new ExactSum();
        double naive = 0.0;
        for (int i = 0; i < 10; i++) {
            sum.add(0.1);
            naive += 0.1;
        }
        assertEquals(0.9999999999999999, naive);
        assertEquals(1.0, sum.value()); // math.fsum([0.1] * 10)
    }

    @Test
    void takingEveryValueAwayLeavesExactlyZero() {
        ExactSum sum = new ExactSum();
        double[] values = {0.1, 1e20, 0.2, 3.0e-12, 7.5};
        for (double v : values) {
            sum.add(v);
        }
        for (double v : values) {
            sum.subtract(v);
        }
        assertTrue(sum.isZero());
        assertEquals(0.0, sum.value());
    }

    @Test
    void aValueTakenAwayLeavesNoTraceOfItsRoundingInTheSum() {
        ExactSum sum = new ExactSum();
        sum.add(0.1);
        sum.add(1e17); // 0.1 is far below the double step at 1e17 (16): a plain running sum would lose it
        sum.subtract(1e17);
        assertEquals(0.1, sum.value());
    }

    @Test
    void halfWayCasesRoundToEvenOnTheExactSum() {
        ExactSum sum = new ExactSum();
        sum.add(1.0);
        sum.add(0x1p-53); // exactly half a step above 1.0: ties to even, 1.0
        assertEquals(1.0, sum.value());
        sum.add(0x1p-100); // now just above the half way: up
        assertEquals(Math.nextUp(1.0), sum.value());
    }

    /**
     * Random rates of every size the meter sees, added and taken away in random order: the value is always the
     * exact sum of those present rounded once to the nearest double (BigDecimal's sum, rounded by its
     * {@code doubleValue}, which rounds half to even).
     */
    @Test
    void theValueIsAlwaysTheExactSumOfTheValuesPresentRoundedOnce() {
        SplittableRandom random = new SplittableRandom(23);
        ExactSum sum = new ExactSum();
        List<Double> present = new ArrayList<>();
        BigDecimal exact = BigDecimal.ZERO;
        for (int i = 0; i < 100_000; i++) {
            if (!present.isEmpty() && random.nextInt(3) == 0) {
                int at = random.nextInt(present.size());
                double v = present.get(at);
                present.set(at, present.get(present.size() - 1));
                present.remove(present.size() - 1);
                sum.subtract(v);
                exact = exact.subtract(new BigDecimal(v));
            } else {
                double v = switch (i % 3) {
                    case 0 -> random.nextInt(1, 10_000_000) / (random.nextInt(1, 3_600_000) / 1000.0);
                    case 1 -> random.nextDouble() * Math.scalb(1.0, random.nextInt(-30, 60));
                    default -> random.nextInt(1, 1000) / 10.0;
                };
                present.add(v);
                sum.add(v);
                exact = exact.add(new BigDecimal(v));
            }
            assertEquals(exact.doubleValue(), sum.value(), "after " + (i + 1) + " changes");
        }
    }

    @Test
    void onlyFiniteValuesCanBeSummed() {
        ExactSum sum = new ExactSum();
        assertThrows(IllegalArgumentException.class, () -> sum.add(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> sum.add(Double.POSITIVE_INFINITY));
    }
}
