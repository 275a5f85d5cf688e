package dev.llmmeter.contract;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The JSON forms of {@link StreamStatus} ({@code metering.streams}) and {@link Insight} ({@code metering.insights}):
 * compact, keys in the documented order, nulls written out, doubles as Python prints them (as the stats). Decoding
 * is for consumers and tests.
 */
public final class OutputCodecs {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private OutputCodecs() {
    }

    public static byte[] encode(StreamStatus s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("stream_id", s.streamId());
            g.writeStringField("model", s.model());
            g.writeStringField("tenant", s.tenant());
            g.writeStringField("state", s.state().wireName());
            JsonFields.writeNullable(g, "tps", s.tps());
            g.writeNumberField("output", s.output());
            g.writeNumberField("reasoning", s.reasoning());
            JsonFields.writeNullable(g, "ttft_ms", s.ttftMs());
            JsonFields.writeNullable(g, "decode_ms", s.decodeMs());
            g.writeNumberField("begin_ts", s.beginTs());
            g.writeNumberField("ts", s.ts());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static byte[] encode(Insight i) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("ts", i.ts());
            g.writeStringField("group", i.group().wireName());
            g.writeStringField("name", i.name());
            g.writeNumberField("active", i.active());
            JsonFields.writeNullable(g, "tps", i.tps());
            JsonFields.writeDouble(g, "system_tps", i.systemTps());
            writePercentiles(g, "ttft_ms", i.ttftMs());
            writePercentiles(g, "itl_ms", i.itlMs());
            g.writeNumberField("started", i.started());
            g.writeNumberField("ended", i.ended());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void writePercentiles(JsonGenerator g, String name, Insight.Percentiles p) throws IOException {
        if (p == null) {
            g.writeNullField(name);
            return;
        }
        g.writeObjectFieldStart(name);
        JsonFields.writeDouble(g, "p50", p.p50());
        JsonFields.writeDouble(g, "p90", p.p90());
        JsonFields.writeDouble(g, "p99", p.p99());
        g.writeNumberField("count", p.count());
        g.writeEndObject();
    }


    /** @return the record, or null for a tombstone; @throws IllegalArgumentException when not a stream record */
    public static StreamStatus decodeStreamStatus(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        String id = null, model = null, tenant = null;
        StreamStatus.State state = null;
        Double tps = null;
        Long ttft = null, decode = null;
        long output = 0, reasoning = 0, beginTs = 0, ts = 0;
        try (JsonParser p = JSON.createParser(bytes)) {
            requireObject(p);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                boolean isNull = v == JsonToken.VALUE_NULL;
                switch (field) {
                    case "stream_id" -> id = isNull ? null : p.getText();
                    case "model" -> model = isNull ? null : p.getText();
                    case "tenant" -> tenant = isNull ? null : p.getText();
                    case "state" -> state = StreamStatus.State.fromWireName(p.getText());
                    case "tps" -> tps = isNull ? null : p.getDoubleValue();
                    case "output" -> output = p.getLongValue();
                    case "reasoning" -> reasoning = p.getLongValue();
                    case "ttft_ms" -> ttft = isNull ? null : p.getLongValue();
                    case "decode_ms" -> decode = isNull ? null : p.getLongValue();
                    case "begin_ts" -> beginTs = p.getLongValue();
                    case "ts" -> ts = p.getLongValue();
                    default -> {
                    }
                }
                p.skipChildren();
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("stream record is not valid JSON: " + e.getMessage(), e);
        }
        return new StreamStatus(id, model, tenant, state, tps, output, reasoning, ttft, decode, beginTs, ts);
    }

    /** @throws IllegalArgumentException when the bytes are not an insights record */
    public static Insight decodeInsight(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        long ts = 0, active = 0, started = 0, ended = 0;
        Insight.Group group = null;
        String name = null;
        Double tps = null;
        double systemTps = 0;
        Insight.Percentiles ttft = null, itl = null;
        try (JsonParser p = JSON.createParser(bytes)) {
            requireObject(p);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                boolean isNull = v == JsonToken.VALUE_NULL;
                switch (field) {
                    case "ts" -> ts = p.getLongValue();
                    case "group" -> group = Insight.Group.fromWireName(p.getText());
                    case "name" -> name = isNull ? null : p.getText();
                    case "active" -> active = p.getLongValue();
                    case "tps" -> tps = isNull ? null : p.getDoubleValue();
                    case "system_tps" -> systemTps = p.getDoubleValue();
                    case "ttft_ms" -> ttft = isNull ? null : readPercentiles(p);
                    case "itl_ms" -> itl = isNull ? null : readPercentiles(p);
                    case "started" -> started = p.getLongValue();
                    case "ended" -> ended = p.getLongValue();
                    default -> {
                    }
                }
                p.skipChildren();
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("insights record is not valid JSON: " + e.getMessage(), e);
        }
        return new Insight(ts, group, name, active, tps, systemTps, ttft, itl, started, ended);
    }

    private static Insight.Percentiles readPercentiles(JsonParser p) throws IOException {
        double p50 = 0, p90 = 0, p99 = 0;
        long count = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            switch (field) {
                case "p50" -> p50 = p.getDoubleValue();
                case "p90" -> p90 = p.getDoubleValue();
                case "p99" -> p99 = p.getDoubleValue();
                case "count" -> count = p.getLongValue();
                default -> p.skipChildren();
            }
        }
        return new Insight.Percentiles(p50, p90, p99, count);
    }

    private static void requireObject(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw new IllegalArgumentException("expected a JSON object");
        }
    }
}
