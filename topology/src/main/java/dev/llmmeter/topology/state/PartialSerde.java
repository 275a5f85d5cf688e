package dev.llmmeter.topology.state;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.nio.ByteBuffer;

/** Binary form of a {@link Partial}, for the internal partials topic and the {@code partials} store. */
public final class PartialSerde implements Serde<Partial>, Serializer<Partial>, Deserializer<Partial> {
    static final byte V1 = 1;
    static final int V1_SIZE = 1 + Long.BYTES + Double.BYTES + Integer.BYTES + Long.BYTES + 1;

    @Override
    public byte[] serialize(String topic, Partial p) {
        if (p == null) {
            return null;
        }
        return ByteBuffer.allocate(V1_SIZE)
                .put(V1)
                .putLong(p.tick())
                .putDouble(p.tpsSum())
                .putInt(p.tpsCount())
                .putLong(p.active())
                .put((byte) (p.recent() ? 1 : 0))
                .array();
    }

    @Override
    public Partial deserialize(String topic, byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        if (bytes.length != V1_SIZE || bytes[0] != V1) {
            throw new SerializationException("unknown partial layout: " + bytes.length + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 1, V1_SIZE - 1);
        return new Partial(b.getLong(), b.getDouble(), b.getInt(), b.getLong(), b.get() == 1);
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
