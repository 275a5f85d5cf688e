package dev.llmmeter.contract;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The JSON form of {@link Stats}: compact, keys in the seed's order, then {@code ts}. */
public final class StatsCodec {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private StatsCodec() {
    }

    public static byte[] encode(Stats s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            writeSeedPayload(g, s);
            g.writeNumberField("ts", s.ts());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * The seed's SSE payload, its six fields in the seed's order ({@code tps, tps_available, estimated, high, low,
     * active}), into an object the caller opened: the stats record adds the tick, serve's event stream other fields.
     */
    public static void writeSeedPayload(JsonGenerator g, Stats s) throws IOException {
        JsonFields.writeNullable(g, "tps", s.tps());
        g.writeBooleanField("tps_available", s.tpsAvailable());
        g.writeBooleanField("estimated", s.estimated());
        JsonFields.writeNullable(g, "high", s.high());
        JsonFields.writeNullable(g, "low", s.low());
        g.writeNumberField("active", s.active());
    }

    /** @throws IllegalArgumentException when the bytes are not a stats object */
    public static Stats decode(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        Double tps = null;
        Double high = null;
        Double low = null;
        boolean tpsAvailable = false;
        boolean estimated = false;
        long active = 0;
        long ts = 0;
        try (JsonParser p = JSON.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("stats must be a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                switch (field) {
                    case "tps" -> tps = nullableDouble(p, v);
                    case "tps_available" -> tpsAvailable = v == JsonToken.VALUE_TRUE;
                    case "estimated" -> estimated = v == JsonToken.VALUE_TRUE;
                    case "high" -> high = nullableDouble(p, v);
                    case "low" -> low = nullableDouble(p, v);
                    case "active" -> active = p.getLongValue();
                    case "ts" -> ts = p.getLongValue();
                    default -> {
                    }
                }
                p.skipChildren();
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("stats is not valid JSON: " + e.getMessage(), e);
        }
        return new Stats(tps, tpsAvailable, estimated, high, low, active, ts);
    }

    private static Double nullableDouble(JsonParser p, JsonToken v) throws IOException {
        return v == JsonToken.VALUE_NULL ? null : p.getDoubleValue();
    }
}
