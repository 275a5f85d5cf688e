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

    /** Beyond this, ten times the value is not an exact integer in a double: the exact path takes it. */
    private static final double FAST_LIMIT = 0x1p50;

    /**
     * The fast path decides on {@code y = x * 10} in floating point, which is within half an ulp of the exact
     * {@code 10x}: when y's fraction is clearly away from one half (further than a few ulps of y), the exact value
     * rounds to the same integer k as y does, and {@code k / 10.0} is the double nearest k/10, as
     * {@code BigDecimal.doubleValue()} gives it. Near a half (a tie, or close enough that the rounding of y could
     * have crossed it), the exact value decides, through BigDecimal. The results are the same bits, zero's sign
     * included (BigDecimal has no -0.0); the per-stream records call this for every busy stream at every tick.
     */
    public static double oneDecimal(double x) {
        if (Double.isNaN(x) || Double.isInfinite(x)) {
            return x;
        }
        double y = x * 10.0;
        if (Math.abs(y) < FAST_LIMIT) {
            double fraction = y - Math.floor(y); // exact below 2^52
            if (Math.abs(fraction - 0.5) > Math.max(Math.abs(y), 1.0) * 0x1p-48) {
                double k = fraction < 0.5 ? Math.floor(y) : Math.floor(y) + 1.0;
                return k == 0.0 ? 0.0 : k / 10.0;
            }
        }
        return exact(x);
    }

    /** Half-to-even on the exact binary value of x, through BigDecimal. */
    static double exact(double x) {
        return new BigDecimal(x).setScale(1, RoundingMode.HALF_EVEN).doubleValue();
    }
}
