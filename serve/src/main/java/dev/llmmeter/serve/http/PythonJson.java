package dev.llmmeter.serve.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmmeter.contract.PythonFloats;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * JSON written as the wire writes it: each double as the seed's {@code json.dumps} prints a float
 * ({@link PythonFloats#repr}: {@code 12345678.9}, {@code 1e+16}), where Jackson alone would print Java's
 * {@code 1.23456789E7}. A record parsed from a topic and written again this way reads as it was published.
 */
final class PythonJson {
    private PythonJson() {
    }

    static byte[] bytes(ObjectMapper mapper, JsonNode node) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = wrap(mapper.getFactory().createGenerator(out))) {
            mapper.writeTree(g, node);
        }
        return out.toByteArray();
    }

    /** {@code g}, its doubles printed as Python prints them (a non-finite one as Jackson writes it). */
    static JsonGenerator wrap(JsonGenerator g) {
        return new JsonGeneratorDelegate(g, false) {
            @Override
            public void writeNumber(double v) throws IOException {
                if (Double.isFinite(v)) {
                    delegate.writeNumber(PythonFloats.repr(v));
                } else {
                    delegate.writeNumber(v);
                }
            }
        };
    }
}
