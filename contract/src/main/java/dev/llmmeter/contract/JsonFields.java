package dev.llmmeter.contract;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;

/** How the wire's JSON writes a value that may be absent: as {@code null}, never left out. */
final class JsonFields {
    private JsonFields() {
    }

    static void writeNullable(JsonGenerator g, String name, Double v) throws IOException {
        if (v == null) {
            g.writeNullField(name);
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
