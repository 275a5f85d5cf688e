package dev.llmmeter.topology;

import dev.llmmeter.contract.Insight;
import dev.llmmeter.contract.MeteringSerdes;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.StreamStatus;
import dev.llmmeter.topology.processors.SessionMeter;
import dev.llmmeter.topology.processors.StatsCombiner;
import dev.llmmeter.topology.state.Partial;
import dev.llmmeter.topology.state.PartialSerde;
import dev.llmmeter.topology.state.SessionsStore;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.UsePartitionTimeOnInvalidTimestamp;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import java.util.Map;

/**
 * The metering topology, in two stages:
 * <pre>
 *   metering.deltas ──▶ session-meter (one task per partition; stores: sessions, stream-endings) ──▶ metering.streams
 *                          │ one Partial per task per second
 *                          ▼
 *                 &lt;app-id&gt;-partials-repartition (1 partition)
 *                          ▼
 *                  stats-combiner (one task; stores: partials, readings, combiner-state) ──▶ metering.stats
 *                                                                                       └──▶ metering.insights
 * </pre>
 * Each processor forwards two types, routed by a split: the session meter its partials and the per-stream records,
 * the combiner its stats and insights records. The routing runs once per output record (per tick), never per event.
 * Invalid input never reaches the processors' state: it is dead-lettered by the exception handlers that
 * {@link MeteringStreamsConfig} installs.
 */
public final class MeteringTopology {
    private MeteringTopology() {
    }

    /** Where the state lives. */
    public enum Durability {
        /** RocksDB stores with changelog topics: what the live app runs. A restart or a moved task loses nothing. */
        DURABLE,
        /**
         * In-memory stores without changelogs, for the offline replay: the same processors, no durability to
         * pay for (the test driver commits after every record, which makes changelog and cache upkeep
         * dominate a replay), and the session processor's partials handed straight to the combiner instead of
         * through the single-partition repartition topic. In the test driver both stages run in one task, and
         * the combiner gets each partial within the same tick either way; but a second source topic costs the
         * driver a regular-expression compilation for every record piped in.
         */
        EPHEMERAL
    }

    /** The production topology. */
    public static Topology build(MeteringConfig config) {
        return build(config, Durability.DURABLE);
    }

    public static Topology build(MeteringConfig config, Durability durability) {
        StreamsBuilder builder = new StreamsBuilder();
        // Written on every event: a write-behind layer (SessionsStore) instead of Kafka's record cache.
        builder.addStateStore(SessionsStore.builder(StoreNames.SESSIONS, durability == Durability.DURABLE));
        builder.addStateStore(store(durability, StoreNames.STREAM_ENDINGS, Serdes.String(), Serdes.Long()));
        builder.addStateStore(store(durability, StoreNames.PARTIALS, Serdes.String(), new PartialSerde()));
        builder.addStateStore(store(durability, StoreNames.READINGS, Serdes.Long(), Serdes.Double()));
        builder.addStateStore(store(durability, StoreNames.COMBINER_STATE, Serdes.String(), Serdes.Long()));

        KStream<String, Partial> meterOutput = builder.stream(config.deltasTopic(), Consumed.with(Serdes.String(), MeteringSerdes.deltaEvent())
                        .withTimestampExtractor(new UsePartitionTimeOnInvalidTimestamp())
                        .withName(StoreNames.SOURCE))
                .process(() -> new SessionMeter(config), Named.as(StoreNames.SESSION_METER), StoreNames.SESSIONS,
                        StoreNames.STREAM_ENDINGS);
        Map<String, KStream<String, Object>> meterBranches = MeteringTopology.<Object>narrow(meterOutput).split(Named.as(StoreNames.SESSION_METER_OUTPUT))
                .branch((id, v) -> v instanceof Partial, Branched.as("partials"))
                .defaultBranch(Branched.as("streams"));
        KStream<String, Partial> partials = narrow(meterBranches.get(StoreNames.SESSION_METER_OUTPUT + "partials"));
        KStream<String, StreamStatus> streams = narrow(meterBranches.get(StoreNames.SESSION_METER_OUTPUT + "streams"));
        streams.to(config.streamsTopic(), Produced.with(Serdes.String(), MeteringSerdes.streamStatus()).withName(StoreNames.STREAMS_SINK));
        if (durability == Durability.DURABLE) {
            partials = partials.repartition(Repartitioned.<String, Partial>as(StoreNames.PARTIALS_TOPIC)
                    .withKeySerde(Serdes.String())
                    .withValueSerde(new PartialSerde())
                    .withNumberOfPartitions(1));
        }
        Map<String, KStream<String, Object>> combinerBranches = partials.process(() -> new StatsCombiner(config),
                        Named.as(StoreNames.STATS_COMBINER), StoreNames.PARTIALS, StoreNames.READINGS, StoreNames.COMBINER_STATE)
                .split(Named.as(StoreNames.STATS_COMBINER_OUTPUT))
                .branch((key, v) -> v instanceof Stats, Branched.as("stats"))
                .defaultBranch(Branched.as("insights"));
        KStream<String, Stats> stats = narrow(combinerBranches.get(StoreNames.STATS_COMBINER_OUTPUT + "stats"));
        KStream<String, Insight> insights = narrow(combinerBranches.get(StoreNames.STATS_COMBINER_OUTPUT + "insights"));
        stats.to(config.statsTopic(), Produced.with(Serdes.String(), MeteringSerdes.stats()).withName(StoreNames.STATS_SINK));
        insights.to(config.insightsTopic(), Produced.with(Serdes.String(), MeteringSerdes.insight()).withName(StoreNames.INSIGHTS_SINK));
        return builder.build();
    }

    /** A branch of a split by value type, seen as that type (the split's predicate is what makes this safe). */
    @SuppressWarnings("unchecked")
    private static <V> KStream<String, V> narrow(KStream<String, ?> branch) {
        return (KStream<String, V>) (KStream<String, ?>) branch;
    }

    /** A store written about once a second: RocksDB with a changelog, uncached; or in memory without a changelog. */
    private static <K, V> StoreBuilder<KeyValueStore<K, V>> store(Durability durability, String name,
                                                                 Serde<K> keySerde, Serde<V> valueSerde) {
        if (durability == Durability.EPHEMERAL) {
            return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), keySerde, valueSerde)
                    .withLoggingDisabled()
                    .withCachingDisabled();
        }
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), keySerde, valueSerde);
    }

}
