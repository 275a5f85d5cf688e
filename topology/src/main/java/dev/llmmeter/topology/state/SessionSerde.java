package dev.llmmeter.topology.state;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.nio.ByteBuffer;

/**
 * Compact binary form of a {@link Session} for the {@code sessions} store and its changelog: a version
 * byte and five longs, 41 bytes. The version byte lets a later layout be read beside this one.
 */
public final class SessionSerde implements Serde<Session>, Serializer<Session>, Deserializer<Session> {
    static final byte V1 = 1;
    static final int V1_SIZE = 1 + 5 * Long.BYTES;

    @Override
    public byte[] serialize(String topic, Session s) {
        if (s == null) {
            return null;
        }
        return ByteBuffer.allocate(V1_SIZE)
                .put(V1)
                .putLong(s.beginTs())
                .putLong(s.outputTokens())
                .putLong(s.reasoningTokens())
                .putLong(s.firstDeltaTs())
                .putLong(s.lastDeltaTs())
                .array();
    }

    @Override
    public Session deserialize(String topic, byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        if (bytes.length != V1_SIZE || bytes[0] != V1) {
            throw new SerializationException("unknown session layout: " + bytes.length + " bytes, version "
                    + (bytes.length > 0 ? bytes[0] : "none"));
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 1, V1_SIZE - 1);
        return new Session(b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong());
    }

    @Override
    public Serializer<Session> serializer() {
        return this;
    }

    @Override
    public Deserializer<Session> deserializer() {
        return this;
    }

    @Override
    public void configure(java.util.Map<String, ?> configs, boolean isKey) {
    }

    @Override
    public void close() {
    }
}
