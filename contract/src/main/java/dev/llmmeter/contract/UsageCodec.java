package dev.llmmeter.contract;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * The JSON form of {@link Usage}: a CloudEvents 1.0 event in structured mode, attributes first ({@code specversion,
 * id, source, type, subject, time, datacontenttype}), then {@code data}. {@code subject} is the tenant and is left
 * out when the streams named none (CloudEvents: a present subject is non-empty); {@code time} and the window bounds
 * are RFC 3339 UTC times; token sums are JSON integers of any size.
 */
public final class UsageCodec {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private UsageCodec() {
    }

    public static byte[] encode(Usage u) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("specversion", Usage.SPEC_VERSION);
            g.writeStringField("id", u.id());
            g.writeStringField("source", u.source());
            g.writeStringField("type", Usage.TYPE);
            if (u.tenant() != null) {
                g.writeStringField("subject", u.tenant());
            }
            g.writeStringField("time", Instant.ofEpochMilli(u.windowEnd()).toString());
            g.writeStringField("datacontenttype", "application/json");
            g.writeObjectFieldStart("data");
            g.writeStringField("tenant", u.tenant());
            g.writeStringField("model", u.model());
            g.writeStringField("window", u.window().wireName());
            g.writeStringField("window_start", Instant.ofEpochMilli(u.windowStart()).toString());
            g.writeStringField("window_end", Instant.ofEpochMilli(u.windowEnd()).toString());
            g.writeNumberField("requests", u.requests());
            g.writeNumberField("input_tokens", u.inputTokens());
            g.writeNumberField("output_tokens", u.outputTokens());
            g.writeNumberField("reasoning_tokens", u.reasoningTokens());
            g.writeNumberField("cached_input_tokens", u.cachedInputTokens());
            g.writeNumberField("metered_requests", u.meteredRequests());
            g.writeStringField("amends", u.amends());
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** @return the record, or null for null bytes; @throws IllegalArgumentException when not a ledger record */
    public static Usage decode(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        String id = null, source = null, type = null, tenant = null, model = null, amends = null;
        Usage.Window window = null;
        Long start = null, end = null;
        long requests = 0, metered = 0;
        BigInteger input = BigInteger.ZERO, output = BigInteger.ZERO, reasoning = BigInteger.ZERO, cached = BigInteger.ZERO;
        try (JsonParser p = JSON.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("a usage record must be a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                switch (field) {
                    case "id" -> id = p.getText();
                    case "source" -> source = p.getText();
                    case "type" -> type = p.getText();
                    case "data" -> {
                        if (v != JsonToken.START_OBJECT) {
                            throw new IllegalArgumentException("usage data must be a JSON object");
                        }
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String f = p.currentName();
                            JsonToken dv = p.nextToken();
                            boolean isNull = dv == JsonToken.VALUE_NULL;
                            switch (f) {
                                case "tenant" -> tenant = isNull ? null : p.getText();
                                case "model" -> model = isNull ? null : p.getText();
                                case "window" -> window = Usage.Window.fromWireName(p.getText());
                                case "window_start" -> start = Instant.parse(p.getText()).toEpochMilli();
                                case "window_end" -> end = Instant.parse(p.getText()).toEpochMilli();
                                case "requests" -> requests = p.getLongValue();
                                case "input_tokens" -> input = p.getBigIntegerValue();
                                case "output_tokens" -> output = p.getBigIntegerValue();
                                case "reasoning_tokens" -> reasoning = p.getBigIntegerValue();
                                case "cached_input_tokens" -> cached = p.getBigIntegerValue();
                                case "metered_requests" -> metered = p.getLongValue();
                                case "amends" -> amends = isNull ? null : p.getText();
                                default -> p.skipChildren();
                            }
                        }
                    }
                    default -> p.skipChildren();
                }
            }
        } catch (IOException | DateTimeParseException e) {
            throw new IllegalArgumentException("usage record is not valid: " + e.getMessage(), e);
        }
        if (!Usage.TYPE.equals(type) || id == null || source == null || window == null || start == null || end == null) {
            throw new IllegalArgumentException("not a usage record (type " + type + ")");
        }
        return new Usage(id, source, tenant, model, window, start, end, requests, input, output, reasoning, cached,
                metered, amends);
    }
}
