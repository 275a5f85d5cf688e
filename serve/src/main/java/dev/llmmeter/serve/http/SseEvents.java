package dev.llmmeter.serve.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.StatsCodec;
import dev.llmmeter.serve.StreamEntry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The bytes of one SSE message: {@code metering} events and comments. */
public final class SseEvents {
    public static final String EVENT = "metering";
    /** Sent first on every connection, so the response starts at once (a browser's EventSource opens). */
    public static final byte[] HELLO = ": metering\n\n".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] HEARTBEAT = ": heartbeat\n\n".getBytes(StandardCharsets.US_ASCII);

    private static final JsonFactory JSON = JsonFactory.builder().build();

    private SseEvents() {
    }

    /**
     * {@code event: metering}, {@code id:} the tick, {@code data:} exactly the seed's payload, in the seed's
     * order ({@code tps, tps_available, estimated, high, low, active}); with a stream, that stream's
     * {@code stream_tps} and {@code ttft_ms} after them (null while unknown). Every double is printed as the
     * seed's {@code json.dumps} prints it, as on the topics.
     *
     * @param stream null for the plain event; otherwise the stream's latest record, or null when unknown
     */
    public static byte[] metering(Stats s, boolean withStream, StreamEntry stream) {
        StringBuilder head = new StringBuilder(32).append("event: ").append(EVENT).append("\nid: ").append(s.ts()).append("\ndata: ");
        ByteArrayOutputStream out = new ByteArrayOutputStream(160);
        out.writeBytes(head.toString().getBytes(StandardCharsets.US_ASCII));
        try (JsonGenerator g = PythonJson.wrap(JSON.createGenerator(out))) {
            g.writeStartObject();
            StatsCodec.writeSeedPayload(g, s);
            if (withStream) {
                writeNode(g, "stream_tps", stream == null ? null : stream.tps());
                writeNode(g, "ttft_ms", stream == null ? null : stream.ttftMs());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.writeBytes("\n\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static void writeNode(JsonGenerator g, String name, JsonNode v) throws IOException {
        if (v == null || !v.isNumber()) {
            g.writeNullField(name);
        } else if (v.isIntegralNumber()) {
            g.writeNumberField(name, v.longValue());
        } else {
            g.writeFieldName(name);
            g.writeNumber(v.doubleValue()); // as Python prints it (PythonJson)
        }
    }
}
