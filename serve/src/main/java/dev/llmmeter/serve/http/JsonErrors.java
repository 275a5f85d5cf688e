package dev.llmmeter.serve.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import jakarta.servlet.http.HttpServletResponse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Every error this server sends: {@code {"status":404,"error":"..."}}, never a stack trace. */
public final class JsonErrors {
    public static final String CONTENT_TYPE = "application/json";
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private JsonErrors() {
    }

    public static byte[] body(int status, String message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(96);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("status", status);
            g.writeStringField("error", message);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static void write(HttpServletResponse resp, int status, String message) throws IOException {
        byte[] body = body(status, message);
        resp.setStatus(status);
        resp.setContentType(CONTENT_TYPE);
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}
