package dev.llmmeter.topology;

import dev.llmmeter.contract.MeteringSerdes;
import dev.llmmeter.topology.processors.SessionMeter;
import dev.llmmeter.topology.processors.StatsCombiner;
import dev.llmmeter.topology.state.Partial;
import dev.llmmeter.topology.state.PartialSerde;
import dev.llmmeter.topology.state.SessionSerde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.UsePartitionTimeOnInvalidTimestamp;
import org.apache.kafka.streams.state.Stores;

/**
 * The metering topology, in two stages:
 * <pre>
 *   metering.deltas ──▶ session-meter (one task per partition; store: sessions)
 *                          │ one Partial per task per second
 *                          ▼
 *                 &lt;app-id&gt;-partials-repartition (1 partition)
 *                          ▼
 *                  stats-combiner (one task; stores: partials, readings, combiner-state) ──▶ metering.stats
 * </pre>
 * Invalid input never reaches the processors' state: it is dead-lettered by the exception handlers that
 * {@link MeteringStreamsConfig} installs.
 */
public final class MeteringTopology {
    private MeteringTopology() {
    }

    public static Topology build(MeteringConfig config) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(StoreNames.SESSIONS), Serdes.String(), new SessionSerde()).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(StoreNames.PARTIALS), Serdes.String(), new PartialSerde()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(StoreNames.READINGS), Serdes.Long(), Serdes.Double()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(StoreNames.COMBINER_STATE), Serdes.String(), Serdes.Long()));

        builder.stream(config.deltasTopic(), Consumed.with(Serdes.String(), MeteringSerdes.deltaEvent())
                        .withTimestampExtractor(new UsePartitionTimeOnInvalidTimestamp())
                        .withName(StoreNames.SOURCE))
                .<String, Partial>process(() -> new SessionMeter(config), Named.as(StoreNames.SESSION_METER), StoreNames.SESSIONS)
                .repartition(Repartitioned.<String, Partial>as(StoreNames.PARTIALS_TOPIC)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(new PartialSerde())
                        .withNumberOfPartitions(1))
                .process(() -> new StatsCombiner(config), Named.as(StoreNames.STATS_COMBINER),
                        StoreNames.PARTIALS, StoreNames.READINGS, StoreNames.COMBINER_STATE)
                .to(config.statsTopic(), Produced.with(Serdes.String(), MeteringSerdes.stats()).withName(StoreNames.STATS_SINK));
        return builder.build();
    }

}
