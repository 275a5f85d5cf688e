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
}
