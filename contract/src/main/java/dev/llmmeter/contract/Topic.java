package dev.llmmeter.contract;

import org.apache.kafka.common.serialization.Serde;

import java.util.Objects;

/**
 * A topic as the code sees it: its name and the serdes of its keys and values, in one value (as {@code Topic<K,V>}
 * in Confluent's microservices examples). The constants are in {@link Topics}; a deployment that renames a topic
 * gets a copy under its name with {@link #named(String)}, the serdes unchanged.
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {
    public Topic {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(keySerde, "keySerde");
        Objects.requireNonNull(valueSerde, "valueSerde");
    }

    /** This topic under the name a deployment configured: same keys and values. */
    public Topic<K, V> named(String configuredName) {
        return configuredName.equals(name) ? this : new Topic<>(configuredName, keySerde, valueSerde);
    }

    /** A value as it is published to this topic; null (a tombstone) stays null. */
    public byte[] serializeValue(V value) {
        return valueSerde.serializer().serialize(name, value);
    }

    /** A value read from this topic; null (a tombstone) stays null. */
    public V deserializeValue(byte[] bytes) {
        return valueSerde.deserializer().deserialize(name, bytes);
    }
}
