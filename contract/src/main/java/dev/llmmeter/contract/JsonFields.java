package dev.llmmeter.contract;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;

/**
 * How the wire's JSON writes a value that may be absent (as {@code null}, never left out), and a double: as the
 * seed's {@code json.dumps} prints a float ({@link PythonFloats#repr}).
 */
final class JsonFields {
    private JsonFields() {
    }

    static void writeNullable(JsonGenerator g, String name, Double v) throws IOException {
        if (v == null) {
            g.writeNullField(name);
        } else {
            writeDouble(g, name, v);
        }
    }

    /**
     * A finite double as Python prints it. No rate can be infinite or NaN: counts are below 2^64 and two distinct
     * millisecond times are at least a millisecond apart in seconds, so a rate stays below about 10^23 (the seed's
     * too); were one ever not finite, Jackson would write it as a quoted string, still valid JSON.
     */
    static void writeDouble(JsonGenerator g, String name, double v) throws IOException {
        if (Double.isFinite(v)) {
            g.writeFieldName(name);
            g.writeNumber(PythonFloats.repr(v));
        } else {
            g.writeNumberField(name, v);
        }
    }

    static void writeNullable(JsonGenerator g, String name, Long v) throws IOException {
        if (v == null) {
            g.writeNullField(name);
        } else {
            g.writeNumberField(name, v);
        }
    }
}
