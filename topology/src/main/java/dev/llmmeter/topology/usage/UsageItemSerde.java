package dev.llmmeter.topology.usage;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/** The usage repartition topic's values: a version byte, then the fields in order (strings as length-prefixed UTF-8, -1 for null). */
public final class UsageItemSerde implements Serde<UsageItem> {
    private static final byte VERSION = 1;

    @Override
    public Serializer<UsageItem> serializer() {
        return (topic, item) -> {
            if (item == null) {
                return null;
            }
            try {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
                DataOutputStream out = new DataOutputStream(bytes);
                out.writeByte(VERSION);
                writeNullable(out, item.streamId());
                writeNullable(out, item.tenant());
                writeNullable(out, item.model());
                out.writeLong(item.eventTime());
                out.writeLong(item.inputTokens());
                out.writeLong(item.outputTokens());
                out.writeLong(item.reasoningTokens());
                out.writeLong(item.cachedInputTokens());
                out.writeBoolean(item.metered());
                return bytes.toByteArray();
            } catch (IOException e) {
                throw new SerializationException("usage item of stream " + item.streamId(), e);
            }
        };
    }

    @Override
    public Deserializer<UsageItem> deserializer() {
        return (topic, data) -> {
            if (data == null) {
                return null;
            }
            try {
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
                byte v = in.readByte();
                if (v != VERSION) {
                    throw new SerializationException("usage item of unknown version " + v);
                }
                return new UsageItem(readNullable(in), readNullable(in), readNullable(in), in.readLong(), in.readLong(),
                        in.readLong(), in.readLong(), in.readLong(), in.readBoolean());
            } catch (IOException e) {
                throw new SerializationException("truncated usage item", e);
            }
        };
    }

    static void writeNullable(DataOutputStream out, String s) throws IOException {
        if (s == null) {
            out.writeInt(-1);
            return;
        }
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    static String readNullable(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }
}
