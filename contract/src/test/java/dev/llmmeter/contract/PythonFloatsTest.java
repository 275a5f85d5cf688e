package dev.llmmeter.contract;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Each expected text is what python3 printed for {@code json.dumps(x)} (the same as {@code repr(x)}). */
class PythonFloatsTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        // fixed notation, as Java prints it too
        "0.0, 0.0",
        "-0.0, -0.0",
        "0.1, 0.1",
        "1.0, 1.0",
        "47.3, 47.3",
        "-12.3, -12.3",
        "0.6666666666666666, 0.6666666666666666",
        "999999.9, 999999.9",
        "0.001, 0.001",
        // fixed in Python from ten million to 10^16, where Java already writes 1.0E7
        "9999999.9, 9999999.9",
        "1.0E7, 10000000.0",
        "12345678.9, 12345678.9",
        "1.23456789E8, 123456789.0",
        "9.999999999999998E13, 99999999999999.98",
        "1.234567890123456E14, 123456789012345.6",
        "1.0E15, 1000000000000000.0",
        "9.007199254740992E15, 9007199254740992.0",
        "1.2345678901234568E15, 1234567890123456.8",
        // fixed in Python down to 10^-4, where Java writes 1.0E-4
        "1.0E-4, 0.0001",
        "1.2E-4, 0.00012",
        "1.23456789E-4, 0.000123456789",
        "1.0000000000000002E-4, 0.00010000000000000002",
        // scientific from 10^16 and below 10^-4: a signed exponent of two digits or more, no .0
        "1.0E16, 1e+16",
        "-1.0E16, -1e+16",
        "1.2345E16, 1.2345e+16",
        "2.82879384806159E17, 2.82879384806159e+17",
        "1.8446744073709552E19, 1.8446744073709552e+19",
        "3.333333333333333E19, 3.333333333333333e+19",
        "4.500326180257511E21, 4.500326180257511e+21",
        "8.41E21, 8.41e+21",
        "1.0E23, 1e+23",
        "7.7E25, 7.7e+25",
        "1.0E100, 1e+100",
        "1.7976931348623157E308, 1.7976931348623157e+308",
        "9.999999999999999E-5, 9.999999999999999e-05",
        "1.0E-5, 1e-05",
        "1.5E-5, 1.5e-05",
        "-1.5E-5, -1.5e-05",
        "2.5E-5, 2.5e-05",
        "1.0E-7, 1e-07",
        "1.25E-300, 1.25e-300",
        "2.2250738585072014E-308, 2.2250738585072014e-308",
        // subnormals whose one digit reads back: Python prints one digit where Java prints two (4.9E-324)
        "4.9E-324, 5e-324",
        "-4.9E-324, -5e-324",
        "1.5E-323, 1.5e-323",
        "3.0E-323, 3e-323",
    })
    void printsADoubleAsPythonsJsonDumpsDoes(double x, String python) {
        assertEquals(python, PythonFloats.repr(x));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"Infinity, inf", "-Infinity, -inf", "NaN, nan"})
    void theNonFiniteValuesAreAsPythonsRepr(double x, String python) {
        assertEquals(python, PythonFloats.repr(x));
    }
}
