package dev.llmmeter.contract;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

import java.util.function.Function;

/** Kafka serdes for the wire types; keys are plain UTF-8 strings ({@link Serdes#String()}). */
public final class MeteringSerdes {
    private MeteringSerdes() {
    }

    /** Deserialization validates: a bad value throws {@link InvalidDeltaException}. */
    public static Serde<DeltaEvent> deltaEvent() {
        return serde(DeltaEventCodec::encode, DeltaEventCodec::decode);
    }

    public static Serde<Stats> stats() {
        return serde(StatsCodec::encode, StatsCodec::decode);
    }

    /** {@code metering.streams}: a null value is a tombstone, both ways. */
    public static Serde<StreamStatus> streamStatus() {
        return serde(OutputCodecs::encode, OutputCodecs::decodeStreamStatus);
    }

    public static Serde<Insight> insight() {
        return serde(OutputCodecs::encode, OutputCodecs::decodeInsight);
    }

    /** {@code metering.usage}: the ledger's CloudEvents records. */
    public static Serde<Usage> usage() {
        return serde(UsageCodec::encode, UsageCodec::decode);
    }

    private static <T> Serde<T> serde(Function<T, byte[]> encode, Function<byte[], T> decode) {
        Serializer<T> ser = (topic, value) -> value == null ? null : encode.apply(value);
        Deserializer<T> de = (topic, bytes) -> decode.apply(bytes);
        return Serdes.serdeFrom(ser, de);
    }
}
