package dev.llmmeter.topology.usage;

import dev.llmmeter.contract.Usage;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigInteger;

/** The {@code usage-windows} store's values: a version byte, then the fields; sums as two's-complement byte strings. */
public final class UsageWindowSerde implements Serde<UsageWindow> {
    private static final byte VERSION = 1;

    @Override
    public Serializer<UsageWindow> serializer() {
        return (topic, w) -> {
            if (w == null) {
                return null;
            }
            try {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream(96);
                DataOutputStream out = new DataOutputStream(bytes);
                out.writeByte(VERSION);
                UsageItemSerde.writeNullable(out, w.tenant);
                UsageItemSerde.writeNullable(out, w.model);
                out.writeByte(w.window.ordinal());
                out.writeLong(w.start);
                out.writeLong(w.requests);
                out.writeLong(w.metered);
                for (BigInteger b : new BigInteger[] {w.input, w.output, w.reasoning, w.cached}) {
                    byte[] raw = b.toByteArray();
                    out.writeShort(raw.length);
                    out.write(raw);
                }
                out.writeBoolean(w.published);
                return bytes.toByteArray();
            } catch (IOException e) {
                throw new SerializationException("usage window", e);
            }
        };
    }

    @Override
    public Deserializer<UsageWindow> deserializer() {
        return (topic, data) -> {
            if (data == null) {
                return null;
            }
            try {
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
                byte v = in.readByte();
                if (v != VERSION) {
                    throw new SerializationException("usage window of unknown version " + v);
                }
                UsageWindow w = new UsageWindow(UsageItemSerde.readNullable(in), UsageItemSerde.readNullable(in),
                        Usage.Window.values()[in.readByte()], in.readLong());
                w.requests = in.readLong();
                w.metered = in.readLong();
                w.input = read(in);
                w.output = read(in);
                w.reasoning = read(in);
                w.cached = read(in);
                w.published = in.readBoolean();
                return w;
            } catch (IOException e) {
                throw new SerializationException("truncated usage window", e);
            }
        };
    }

    private static BigInteger read(DataInputStream in) throws IOException {
        byte[] raw = new byte[in.readUnsignedShort()];
        in.readFully(raw);
        return new BigInteger(raw);
    }
}
