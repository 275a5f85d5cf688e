package dev.llmmeter.serve.http;

import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.StreamStatus;
import dev.llmmeter.contract.WireJson;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** The bytes of one SSE message: {@code metering} events and comments. */
public final class SseEvents {
    public static final String EVENT = "metering";
    /** Sent first on every connection, so the response starts at once (a browser's EventSource opens). */
    public static final byte[] HELLO = ": metering\n\n".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] HEARTBEAT = ": heartbeat\n\n".getBytes(StandardCharsets.US_ASCII);

    private static final WireJson<SeedPayload> PLAIN = WireJson.of(SeedPayload.class);
    private static final WireJson<StreamPayload> WITH_STREAM = WireJson.of(StreamPayload.class);

    /** The seed's SSE payload: a stats record without its tick, the six fields in the seed's order. */
    public record SeedPayload(Double tps, boolean tpsAvailable, boolean estimated, Double high, Double low, long active) {
    }

    /** The seed's payload, then one stream's own figures (null while unknown). */
    public record StreamPayload(Double tps, boolean tpsAvailable, boolean estimated, Double high, Double low, long active,
                                Double streamTps, Long ttftMs) {
    }

    private SseEvents() {
    }

    /**
     * {@code event: metering}, {@code id:} the tick, {@code data:} exactly the seed's payload, in the seed's
     * order ({@code tps, tps_available, estimated, high, low, active}); with a stream, that stream's
     * {@code stream_tps} and {@code ttft_ms} after them (null while unknown). Written by the wire's serde
     * ({@link WireJson}): every double is printed as the seed's {@code json.dumps} prints it, as on the topics.
     *
     * @param stream null for the plain event; otherwise the stream's latest record, or null when unknown
     */
    public static byte[] metering(Stats s, boolean withStream, StreamStatus stream) {
        byte[] data = withStream
                ? WITH_STREAM.encode(new StreamPayload(s.tps(), s.tpsAvailable(), s.estimated(), s.high(), s.low(), s.active(),
                        stream == null ? null : stream.tps(), stream == null ? null : stream.ttftMs()))
                : PLAIN.encode(new SeedPayload(s.tps(), s.tpsAvailable(), s.estimated(), s.high(), s.low(), s.active()));
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length + 48);
        out.writeBytes(("event: " + EVENT + "\nid: " + s.ts() + "\ndata: ").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(data);
        out.writeBytes("\n\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
