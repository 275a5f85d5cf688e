package dev.llmmeter.topology;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Python's {@code round(x, 1)} for floats: half-to-even on the exact binary value of the double, so
 * 1.25 gives 1.2, 10.75 gives 10.8 and 0.15 (really 0.1499999...) gives 0.1. {@code new BigDecimal(double)}
 * is that exact value; {@code BigDecimal.valueOf} (which goes through the shortest decimal string) and
 * {@code Math.round} (half-up) each get some of these wrong.
 */
public final class PythonRound {
    private PythonRound() {
    }

    public static double oneDecimal(double x) {
        if (Double.isNaN(x) || Double.isInfinite(x)) {
            return x;
        }
        return new BigDecimal(x).setScale(1, RoundingMode.HALF_EVEN).doubleValue();
    }
}
