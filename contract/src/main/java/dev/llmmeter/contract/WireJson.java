package dev.llmmeter.contract;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The one JSON serde of the once-a-second output records ({@link Stats}, {@link StreamStatus}, {@link Insight}):
 * compact, the fields in the record's component order with snake_case names, an absent value written as
 * {@code null} (never left out), enums by their wire names, and every double as the seed's
 * {@code json.dumps} prints a float ({@link PythonFloats#repr}). Reading is strict: a field the record has but the
 * bytes lack (except a field added later, read as null from records written before it: {@link #OPTIONAL}), a null for
 * a field that cannot be absent, or a fraction where the record holds an integer is a {@link SerializationException} naming it; fields it does not know are skipped. A null value (a
 * tombstone) is null both ways.
 */
public final class WireJson<T> implements Serde<T> {
    /** The mapper of the wire's JSON: what it writes is what the topics carry. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .addModule(new SimpleModule("python-floats")
                    .addSerializer(Double.class, new PythonDouble())
                    .addSerializer(double.class, new PythonDouble()))
            .build();

    /**
     * Fields added to a record after records of it were published: read as null when the bytes lack them, so the
     * records written before still read (a compacted or retained topic, a consumer of a newer version).
     */
    static final Map<Class<?>, List<String>> OPTIONAL = Map.of(Insight.class, List.of("tpot_ms", "slo"),
            StreamStatus.class, List.of("tpot_ms", "input"));

    private final Class<T> type;
    private final List<String> optional;
    private final ObjectWriter writer;
    private final ObjectReader reader;

    private WireJson(Class<T> type) {
        this.type = type;
        this.writer = MAPPER.writerFor(type);
        this.reader = MAPPER.readerFor(type);
        this.optional = OPTIONAL.getOrDefault(type, List.of());
    }

    /** The serde of record type {@code type}. */
    public static <T> WireJson<T> of(Class<T> type) {
        return new WireJson<>(type);
    }

    public byte[] encode(T value) {
        if (value == null) {
            return null;
        }
        try {
            return writer.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new SerializationException("cannot write " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }

    /** @throws SerializationException when the bytes are not a complete {@code T} in the wire's JSON */
    public T decode(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            if (optional.isEmpty()) {
                return reader.readValue(bytes);
            }
            JsonNode tree = MAPPER.readTree(bytes);
            if (tree instanceof ObjectNode o) {
                for (String field : optional) {
                    if (!o.has(field)) {
                        o.putNull(field);
                    }
                }
            }
            return reader.readValue(tree);
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new SerializationException("not a " + type.getSimpleName() + " record: " + why, e);
        }
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> encode(value);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> decode(bytes);
    }

    /**
     * A finite double as Python prints it. No rate can be infinite or NaN: counts are below 2^64 and two distinct
     * millisecond times are at least a millisecond apart in seconds, so a rate stays below about 10^23 (the seed's
     * too); were one ever not finite, Jackson would write it as a quoted string, still valid JSON.
     */
    private static final class PythonDouble extends JsonSerializer<Double> {
        @Override
        public void serialize(Double v, JsonGenerator g, SerializerProvider provider) throws IOException {
            if (Double.isFinite(v)) {
                g.writeNumber(PythonFloats.repr(v));
            } else {
                g.writeNumber(v);
            }
        }
    }
}
