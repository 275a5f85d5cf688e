package dev.llmmeter.topology.state;

import dev.llmmeter.topology.state.SessionsStore.Entry;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Compact binary form of the {@code sessions} store's value, a {@link Session} with its numbers ({@link Entry}), for
 * the store and its changelog. Three layouts, told apart by their first byte:
 * <ul>
 *   <li>V3, a session numbered by its task, as the session processor writes every session: V1's fields, then its
 *       {@link Entry#seq} and {@code seq - }{@link Entry#place} as variable-length
 *       zig-zag longs (as Kafka's record format writes them: 7 bits a byte, low bits first; 1 byte for a place equal
 *       to the seq, 1 to 10 for the seq), then model and tenant as in V2: 47 bytes plus the seq's and the names;</li>
 *   <li>V1, a session not numbered, without model and tenant: the version byte and five longs, 41 bytes (the
 *       layout before model and tenant existed);</li>
 *   <li>V2, a session not numbered, naming a model or a tenant: V1's fields, then for each of model and tenant a
 *       length (unsigned 16 bits, {@code 0xFFFF} for none) and its UTF-8 bytes (at most 256 characters, 1,024
 *       bytes): 45 bytes plus the names.</li>
 * </ul>
 * Values written by the versions before restore as they were: V1 and V2 as sessions not numbered. V1 to V3 did not keep
 * the output delta times: a session restored from them gives no time per output token ({@link Session#tpotMs}).
 */
public final class SessionSerde implements Serde<Entry>, Serializer<Entry>, Deserializer<Entry> {
    static final byte V1 = 1;
    static final byte V2 = 2;
    static final byte V3 = 3;
    static final byte V4 = 4;
    static final int V1_SIZE = 1 + 5 * Long.BYTES;
    private static final int NONE = 0xFFFF;

    @Override
    public byte[] serialize(String topic, Entry entry) {
        if (entry == null) {
            return null;
        }
        Session s = entry.session();
        if (!entry.isNumbered() && s.model() == null && s.tenant() == null) {
            return fields(ByteBuffer.allocate(V1_SIZE).put(V1), s).array();
        }
        byte[] model = s.model() == null ? null : s.model().getBytes(StandardCharsets.UTF_8);
        byte[] tenant = s.tenant() == null ? null : s.tenant().getBytes(StandardCharsets.UTF_8);
        int names = 4 + (model == null ? 0 : model.length) + (tenant == null ? 0 : tenant.length);
        if (!entry.isNumbered()) {
            ByteBuffer b = fields(ByteBuffer.allocate(V1_SIZE + names).put(V2), s);
            putName(b, model);
            putName(b, tenant);
            return b.array();
        }
        long gap = entry.seq() - entry.place();
        ByteBuffer b = ByteBuffer.allocate(V1_SIZE + 2 * Long.BYTES + sizeOfVarlong(entry.seq()) + sizeOfVarlong(gap) + names);
        fields(b.put(V4), s).putLong(s.firstOutputTs()).putLong(s.lastOutputTs());
        putVarlong(entry.seq(), b);
        putVarlong(gap, b);
        putName(b, model);
        putName(b, tenant);
        return b.array();
    }

    private static ByteBuffer fields(ByteBuffer b, Session s) {
        return b.putLong(s.beginTs())
                .putLong(s.outputTokens())
                .putLong(s.reasoningTokens())
                .putLong(s.firstDeltaTs())
                .putLong(s.lastDeltaTs());
    }

    private static void putName(ByteBuffer b, byte[] name) {
        if (name == null) {
            b.putShort((short) NONE);
        } else {
            b.putShort((short) name.length).put(name);
        }
    }

    @Override
    public Entry deserialize(String topic, byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        if (bytes.length == V1_SIZE && bytes[0] == V1) {
            ByteBuffer b = ByteBuffer.wrap(bytes, 1, V1_SIZE - 1);
            return new Entry(new Session(b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong()));
        }
        if (bytes.length >= V1_SIZE + 4 && (bytes[0] == V2 || bytes[0] == V3 || bytes[0] == V4)) {
            try {
                ByteBuffer b = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
                long begin = b.getLong(), output = b.getLong(), reasoning = b.getLong(), first = b.getLong(), last = b.getLong();
                long firstOutput = Session.UNTRACKED;
                long lastOutput = Session.UNTRACKED;
                if (bytes[0] == V4) {
                    firstOutput = b.getLong();
                    lastOutput = b.getLong();
                }
                long seq = Entry.UNNUMBERED;
                long place = Entry.UNNUMBERED;
                if (bytes[0] != V2) {
                    seq = getVarlong(b);
                    place = seq - getVarlong(b);
                }
                String model = getName(b);
                String tenant = getName(b);
                if (!b.hasRemaining()) {
                    return new Entry(new Session(begin, output, reasoning, first, last, firstOutput, lastOutput, model, tenant),
                            seq, place);
                }
            } catch (RuntimeException e) {
                // falls through to the error below
            }
        }
        throw new SerializationException("unknown session layout: " + bytes.length + " bytes, version "
                + (bytes.length > 0 ? bytes[0] : "none"));
    }

    private static int sizeOfVarlong(long v) {
        long z = (v << 1) ^ (v >> 63);
        int size = 1;
        while ((z >>>= 7) != 0) {
            size++;
        }
        return size;
    }

    private static void putVarlong(long v, ByteBuffer b) {
        long z = (v << 1) ^ (v >> 63);
        while ((z & ~0x7FL) != 0) {
            b.put((byte) ((z & 0x7F) | 0x80));
            z >>>= 7;
        }
        b.put((byte) z);
    }

    /** @throws IllegalArgumentException past 10 bytes */
    private static long getVarlong(ByteBuffer b) {
        long z = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte x = b.get();
            z |= (long) (x & 0x7F) << shift;
            if (x >= 0) {
                return (z >>> 1) ^ -(z & 1);
            }
        }
        throw new IllegalArgumentException("varlong longer than 10 bytes");
    }

    private static String getName(ByteBuffer b) {
        int len = b.getShort() & 0xFFFF;
        if (len == NONE) {
            return null;
        }
        String s = new String(bytes(b, len), StandardCharsets.UTF_8);
        return s;
    }

    private static byte[] bytes(ByteBuffer b, int len) {
        byte[] out = new byte[len];
        b.get(out);
        return out;
    }

    @Override
    public Serializer<Entry> serializer() {
        return this;
    }

    @Override
    public Deserializer<Entry> deserializer() {
        return this;
    }

    @Override
    public void configure(java.util.Map<String, ?> configs, boolean isKey) {
    }

    @Override
    public void close() {
    }
}
