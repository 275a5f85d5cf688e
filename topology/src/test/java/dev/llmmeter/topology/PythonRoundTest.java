package dev.llmmeter.topology;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PythonRoundTest {
    /** Expected values are CPython 3.11's {@code round(x, 1)}. */
    @ParameterizedTest(name = "round({0}, 1) = {1}")
    @CsvSource({
        "1.25, 1.2", "10.75, 10.8", "0.15, 0.1", "0.25, 0.2", "0.35, 0.3", "2.675, 2.7",
        "47.25, 47.2", "47.35, 47.4", "0.05, 0.1", "0.95, 0.9", "99.95, 100.0", "123456.75, 123456.8",
        "12.35, 12.3", "12.45, 12.4", "1.15, 1.1", "5.0, 5.0", "0.04999, 0.0", "1e-9, 0.0"
    })
    void roundsHalfToEvenOnTheExactBinaryValue(double x, double expected) {
        assertEquals(expected, PythonRound.oneDecimal(x));
    }

    /**
     * The fast path gives the same bits as the exact one: random doubles of every magnitude, values at and next to
     * every tie of the tenths up to 1000 (k + 0.05 and its neighbouring doubles), rates as the meter computes them
     * (tokens over a span of milliseconds), and the edges (zeros, tiny, huge).
     */
    @org.junit.jupiter.api.Test
    void theFastPathGivesTheSameBitsAsTheExactRoundingEverywhere() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(11);
        for (int i = 0; i < 2_000_000; i++) {
            double x = switch (i % 4) {
                case 0 -> random.nextDouble() * 1000;
                case 1 -> Double.longBitsToDouble(random.nextLong() & 0x7fefffffffffffffL) * (random.nextBoolean() ? 1 : -1);
                case 2 -> random.nextInt(1, 10_000_000) / ((random.nextInt(1, 3_600_000)) / 1000.0);
                default -> (random.nextInt(-100_000, 100_000) + 0.5) / 10.0;
            };
            assertSame(x);
        }
        for (int k = -10_000; k <= 10_000; k++) {
            double tie = k / 10.0 + 0.05;
            assertSame(tie);
            assertSame(Math.nextUp(tie));
            assertSame(Math.nextDown(tie));
            assertSame(k / 4.0);
        }
        for (double x : new double[] {0.0, -0.0, Double.MIN_VALUE, -Double.MIN_VALUE, 1e-300, 0.04999999999999999,
                0.05, -0.05, -0.04, 0x1p49, 0x1p50, 0x1p52 + 0.5, 0x1p53, Double.MAX_VALUE, -Double.MAX_VALUE, 2.675, 1.25}) {
            assertSame(x);
        }
    }

    private static void assertSame(double x) {
        assertEquals(Double.doubleToRawLongBits(PythonRound.exact(x)), Double.doubleToRawLongBits(PythonRound.oneDecimal(x)),
                () -> "round(" + x + ", 1): exact " + PythonRound.exact(x) + ", fast " + PythonRound.oneDecimal(x));
    }
}
