package dev.llmmeter.contract;

import com.fasterxml.jackson.core.io.NumberOutput;

import java.math.BigDecimal;

/**
 * Python's {@code repr(float)}, which is also how the seed's {@code json.dumps} prints a float: the shortest digits
 * that read back as the same double (the closest such to its exact value), laid out in fixed notation when the
 * decimal exponent is from -4 to 15 ({@code 0.0001}, {@code 12345678.9}, {@code 1000000000000000.0}), otherwise in
 * scientific notation with a signed exponent of at least two digits and no {@code .0} ({@code 1e+16},
 * {@code 4.500326180257511e+21}, {@code 1.5e-05}). Java's {@code Double.toString} switches to {@code 1.0E7} already
 * at ten million and, before Java 19, sometimes prints more digits than needed.
 *
 * <p>The digits are Jackson's Schubfach ({@link NumberOutput#toString(double, boolean)}): the shortest, and among
 * those the closest, as Python's. It has one rule Python does not: at least two digits, which for the few subnormal
 * doubles whose one-digit form reads back ({@code 5e-324}) gives another two-digit decimal ({@code 4.9E-324});
 * those are looked for and printed with one digit, as Python does.
 */
public final class PythonFloats {
    /** Python prints in fixed notation when the decimal exponent (of the first digit) is in this range. */
    private static final int MIN_FIXED_EXPONENT = -4;
    private static final int MAX_FIXED_EXPONENT = 15;

    private PythonFloats() {
    }

    /** {@code repr(v)} as Python prints it; {@code inf}, {@code -inf} and {@code nan} for the non-finite values. */
    public static String repr(double v) {
        if (!Double.isFinite(v)) {
            return Double.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
        }
        String java = NumberOutput.toString(v, true);
        int e = java.indexOf('E');
        if (e < 0) {
            return java; // 1e-3 <= |v| < 1e7, or zero: fixed notation, written as Python writes it
        }
        boolean negative = java.charAt(0) == '-';
        StringBuilder digits = new StringBuilder(20);
        for (int i = negative ? 1 : 0; i < e; i++) {
            char c = java.charAt(i);
            if (c != '.') {
                digits.append(c);
            }
        }
        int exponent = Integer.parseInt(java, e + 1, java.length(), 10); // of the first digit: Java's d.ddd form
        while (digits.length() > 1 && digits.charAt(digits.length() - 1) == '0') {
            digits.setLength(digits.length() - 1);
        }
        if (digits.length() == 2) {
            String one = oneDigit(Math.abs(v), digits.charAt(0) - '0', exponent);
            if (one != null) {
                digits.setLength(0);
                digits.append(one, 0, 1);
                exponent += one.length() - 1; // "10": the next power of ten
            }
        }
        return layout(negative, digits, exponent);
    }

    /**
     * The one-digit decimal Python would print for {@code v}, whose two-digit form starts with {@code first} at
     * {@code exponent}: {@code first} or {@code first + 1} (then "10") times 10^exponent, whichever reads back as v
     * (the closer if both do); null if neither does.
     */
    private static String oneDigit(double v, int first, int exponent) {
        BigDecimal low = BigDecimal.valueOf(first).scaleByPowerOfTen(exponent);
        BigDecimal high = BigDecimal.valueOf(first + 1L).scaleByPowerOfTen(exponent);
        boolean lowReads = first > 0 && low.doubleValue() == v;
        boolean highReads = high.doubleValue() == v;
        if (lowReads && highReads) {
            BigDecimal exact = new BigDecimal(v);
            highReads = high.subtract(exact).compareTo(exact.subtract(low)) < 0;
            lowReads = !highReads;
        }
        return lowReads ? String.valueOf(first) : highReads ? String.valueOf(first + 1) : null;
    }

    /** Python's layout of the significant {@code digits} whose first digit is at decimal {@code exponent}. */
    private static String layout(boolean negative, CharSequence digits, int exponent) {
        StringBuilder out = new StringBuilder(digits.length() + 8);
        if (negative) {
            out.append('-');
        }
        int n = digits.length();
        if (exponent < MIN_FIXED_EXPONENT || exponent > MAX_FIXED_EXPONENT) {
            out.append(digits.charAt(0));
            if (n > 1) {
                out.append('.').append(digits, 1, n);
            }
            out.append('e').append(exponent < 0 ? '-' : '+');
            int abs = Math.abs(exponent);
            if (abs < 10) {
                out.append('0');
            }
            return out.append(abs).toString();
        }
        if (exponent < 0) {
            out.append("0.");
            for (int i = -1; i > exponent; i--) {
                out.append('0');
            }
            return out.append(digits).toString();
        }
        int integerDigits = exponent + 1;
        if (n <= integerDigits) {
            out.append(digits);
            for (int i = n; i < integerDigits; i++) {
                out.append('0');
            }
            return out.append(".0").toString();
        }
        return out.append(digits, 0, integerDigits).append('.').append(digits, integerDigits, n).toString();
    }
}
