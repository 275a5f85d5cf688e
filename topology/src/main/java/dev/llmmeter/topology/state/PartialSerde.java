package dev.llmmeter.topology.state;

import dev.llmmeter.topology.insights.GroupPart;
import dev.llmmeter.topology.insights.LatencySketch;
import dev.llmmeter.topology.insights.SloCounts;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Binary form of a {@link Partial}, for the internal partials topic and the {@code partials} store.
 * <ul>
 *   <li>V1 (a partial without groups): the version byte, then the stats part, 30 bytes: the layout from before the
 *       insights, byte for byte, so stored values of the previous version still read;</li>
 *   <li>V2: the same stats part after version byte 2, then the number of groups (int) and per group: its key
 *       (unsigned 16-bit length and UTF-8), {@code active} (long), {@code tpsSum} (double), {@code tpsCount},
 *       {@code started}, {@code ended} (ints), {@code tokens} (long), and the TTFT and ITL sketches (int length and
 *       DDSketch's encoding each);</li>
 *   <li>V3, as V2 after version byte 3, each group followed by its time per output token sketch (the same way). The
 *       versions before wrote V2, which reads with no time per output token.</li>
 *   <li>V4, as V3 after version byte 4, each group followed by its service level counts: a byte, 0 when no stream was
 *       judged, else 1 and the judged streams, TTFT's judged and met, TPOT's judged and met, the streams that met all
 *       (six ints) and their output tokens (long). V3 and V2 read with none judged.</li>
 * </ul>
 * Size bound: a group is at most {@link #MAX_GROUP_BYTES} bytes (a 1,031-byte key, 36 bytes of figures, three
 * sketches of at most {@link LatencySketch#MAX_ENCODED_BYTES}, {@link #SLO_BYTES} of service level counts); a partial has at most 1 + 2 x (max labels + 1)
 * groups, so with the default 100 labels it is at most {@code V1_SIZE + 4 + 203 x MAX_GROUP_BYTES}; see
 * {@link #maxBytes(int)}. In practice a group that saw a few hundred deltas in the second takes well under 1 KB.
 */
public final class PartialSerde implements Serde<Partial>, Serializer<Partial>, Deserializer<Partial> {
    static final byte V1 = 1;
    static final byte V2 = 2;
    static final byte V3 = 3;
    static final byte V4 = 4;
    /** A group's service level counts, at most: the flag, six ints and a long. */
    static final int SLO_BYTES = 1 + 6 * Integer.BYTES + Long.BYTES;
    static final int V1_SIZE = 1 + Long.BYTES + Double.BYTES + Integer.BYTES + Long.BYTES + 1;
    /** Longest key: "tenant:" and 256 characters of up to 4 UTF-8 bytes, with its length. */
    static final int MAX_KEY_BYTES = 2 + 7 + 256 * 4;
    public static final int MAX_GROUP_BYTES = MAX_KEY_BYTES + 8 + 8 + 4 + 4 + 4 + 8 + 3 * (4 + LatencySketch.MAX_ENCODED_BYTES)
            + SLO_BYTES;

    /** The most bytes a partial can take with {@code maxLabels} models and as many tenants (plus other and global). */
    public static int maxBytes(int maxLabels) {
        return V1_SIZE + 4 + (1 + 2 * (maxLabels + 1)) * MAX_GROUP_BYTES;
    }

    @Override
    public byte[] serialize(String topic, Partial p) {
        if (p == null) {
            return null;
        }
        ByteBuffer stats = ByteBuffer.allocate(V1_SIZE)
                .put(p.groups().isEmpty() ? V1 : V4)
                .putLong(p.tick())
                .putDouble(p.tpsSum())
                .putInt(p.tpsCount())
                .putLong(p.active())
                .put((byte) (p.recent() ? 1 : 0));
        if (p.groups().isEmpty()) {
            return stats.array();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(V1_SIZE + 4 + 96 * p.groups().size());
        out.writeBytes(stats.array());
        ByteBuffer head = ByteBuffer.allocate(64);
        out.writeBytes(ByteBuffer.allocate(4).putInt(p.groups().size()).array());
        for (Map.Entry<String, GroupPart> e : p.groups().entrySet()) {
            byte[] key = e.getKey().getBytes(StandardCharsets.UTF_8);
            GroupPart g = e.getValue();
            byte[] ttft = g.ttft().encode();
            byte[] itl = g.itl().encode();
            byte[] tpot = g.tpot().encode();
            head.clear();
            head.putShort((short) key.length);
            out.write(head.array(), 0, head.position());
            out.writeBytes(key);
            head.clear();
            head.putLong(g.active()).putDouble(g.tpsSum()).putInt(g.tpsCount()).putInt(g.started()).putInt(g.ended())
                    .putLong(g.tokens()).putInt(ttft.length);
            out.write(head.array(), 0, head.position());
            out.writeBytes(ttft);
            head.clear();
            head.putInt(itl.length);
            out.write(head.array(), 0, head.position());
            out.writeBytes(itl);
            head.clear();
            head.putInt(tpot.length);
            out.write(head.array(), 0, head.position());
            out.writeBytes(tpot);
            head.clear();
            SloCounts slo = g.slo();
            if (slo.isEmpty()) {
                head.put((byte) 0);
            } else {
                head.put((byte) 1).putInt((int) slo.streams()).putInt((int) slo.ttftStreams()).putInt((int) slo.ttftMet())
                        .putInt((int) slo.tpotStreams()).putInt((int) slo.tpotMet()).putInt((int) slo.met())
                        .putLong(slo.metTokens());
            }
            out.write(head.array(), 0, head.position());
        }
        return out.toByteArray();
    }

    @Override
    public Partial deserialize(String topic, byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        if (bytes.length < V1_SIZE || (bytes[0] == V1 && bytes.length != V1_SIZE) || (bytes[0] < V1 || bytes[0] > V4)) {
            throw new SerializationException("unknown partial layout: " + bytes.length + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
        long tick = b.getLong();
        double tpsSum = b.getDouble();
        int tpsCount = b.getInt();
        long active = b.getLong();
        boolean recent = b.get() == 1;
        if (bytes[0] == V1) {
            return new Partial(tick, tpsSum, tpsCount, active, recent);
        }
        try {
            int n = b.getInt();
            Map<String, GroupPart> groups = new LinkedHashMap<>(Math.max(4, n * 2));
            for (int i = 0; i < n; i++) {
                int keyLen = b.getShort() & 0xFFFF;
                String key = new String(bytes, b.position(), keyLen, StandardCharsets.UTF_8);
                b.position(b.position() + keyLen);
                long gActive = b.getLong();
                double gSum = b.getDouble();
                int gCount = b.getInt();
                int started = b.getInt();
                int ended = b.getInt();
                long tokens = b.getLong();
                LatencySketch ttft = sketch(bytes, b);
                LatencySketch itl = sketch(bytes, b);
                LatencySketch tpot = bytes[0] >= V3 ? sketch(bytes, b) : new LatencySketch();
                SloCounts slo = bytes[0] >= V4 && b.get() == 1
                        ? new SloCounts(b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getLong())
                        : new SloCounts();
                groups.put(key, new GroupPart(gActive, gSum, gCount, tokens, started, ended, ttft, itl, tpot, slo));
            }
            if (b.hasRemaining()) {
                throw new SerializationException("partial has " + b.remaining() + " bytes after its groups");
            }
            return new Partial(tick, tpsSum, tpsCount, active, recent, groups);
        } catch (RuntimeException e) {
            throw new SerializationException("unreadable partial groups: " + e.getMessage(), e);
        }
    }

    private static LatencySketch sketch(byte[] bytes, ByteBuffer b) {
        int len = b.getInt();
        LatencySketch s = len == 0 ? new LatencySketch() : LatencySketch.decode(bytes, b.position(), len);
        b.position(b.position() + len);
        return s;
    }

    @Override
    public Serializer<Partial> serializer() {
        return this;
    }

    @Override
    public Deserializer<Partial> deserializer() {
        return this;
    }

    @Override
    public void configure(java.util.Map<String, ?> configs, boolean isKey) {
    }

    @Override
    public void close() {
    }
}
