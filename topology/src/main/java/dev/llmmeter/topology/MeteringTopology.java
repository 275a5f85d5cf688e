package dev.llmmeter.topology;

import dev.llmmeter.contract.Insight;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.StreamStatus;
import dev.llmmeter.topology.processors.CombinerOutput;
import dev.llmmeter.topology.processors.MeterOutput;
import dev.llmmeter.topology.processors.SessionMeter;
import dev.llmmeter.topology.processors.StatsCombiner;
import dev.llmmeter.topology.state.Partial;
import dev.llmmeter.topology.state.PartialSerde;
import dev.llmmeter.topology.state.SessionsStore;
import dev.llmmeter.topology.usage.UsageItem;
import dev.llmmeter.topology.usage.UsageItemSerde;
import dev.llmmeter.topology.usage.UsageLedger;
import dev.llmmeter.topology.usage.UsageWindowSerde;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import dev.llmmeter.topology.errors.InvalidDeltaDeserializationHandler;
import dev.llmmeter.topology.errors.InvalidDeltaProcessingHandler;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.UsePartitionTimeOnInvalidTimestamp;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;

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
 * Each processor forwards one sealed type ({@link MeterOutput}, {@link CombinerOutput}) whose kinds the graph routes
 * by type: the session meter's partials and per-stream records, the combiner's stats and insights. The routing runs
 * once per output record (per tick), never per event.
 * Invalid input never reaches the processors' state: it is dead-lettered by the exception handlers that
 * {@link #streamsProperties} installs.
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

    /** The production topology, not knowing how many session tasks there are (tests). */
    public static Topology build(MeteringConfig config) {
        return build(config, 0, Durability.DURABLE);
    }

    public static Topology build(MeteringConfig config, Durability durability) {
        return build(config, 0, durability);
    }

    /**
     * The production topology.
     *
     * @param sessionTasks the input topic's partition count, one session task each: a fact of the cluster, read
     *                     by the process bootstrap (the replay has one), not a setting. The combiner waits for that
     *                     many on a cold start; the session meter counts keys that arrive on the wrong partition.
     *                     0 when unknown.
     */
    public static Topology build(MeteringConfig config, int sessionTasks) {
        return build(config, sessionTasks, Durability.DURABLE);
    }

    public static Topology build(MeteringConfig config, int sessionTasks, Durability durability) {
        StreamsBuilder builder = new StreamsBuilder();
        // Written on every event: a write-behind layer (SessionsStore) instead of Kafka's record cache.
        builder.addStateStore(SessionsStore.builder(StoreNames.SESSIONS, durability == Durability.DURABLE));
        builder.addStateStore(store(durability, StoreNames.STREAM_ENDINGS, Serdes.String(), Serdes.Long()));
        builder.addStateStore(store(durability, StoreNames.PARTIALS, Serdes.String(), new PartialSerde()));
        builder.addStateStore(store(durability, StoreNames.READINGS, Serdes.Long(), Serdes.Double()));
        builder.addStateStore(store(durability, StoreNames.COMBINER_STATE, Serdes.String(), Serdes.Long()));
        builder.addStateStore(store(durability, StoreNames.USAGE_WINDOWS, Serdes.String(), new UsageWindowSerde()));
        builder.addStateStore(store(durability, StoreNames.USAGE_BILLED, Serdes.String(), Serdes.Long()));
        builder.addStateStore(store(durability, StoreNames.USAGE_LEDGER_STATE, Serdes.String(), Serdes.Long()));

        KStream<String, MeterOutput> meterOutput = builder.stream(config.deltasTopic(), Consumed.with(Serdes.String(), Topics.DELTAS.valueSerde())
                        .withTimestampExtractor(new UsePartitionTimeOnInvalidTimestamp())
                        .withName(StoreNames.SOURCE))
                .process(() -> new SessionMeter(config, sessionTasks), Named.as(StoreNames.SESSION_METER), StoreNames.SESSIONS,
                        StoreNames.STREAM_ENDINGS);
        KStream<String, Partial> partials = meterOutput.flatMapValues(
                v -> v instanceof MeterOutput.TaskPartial p ? List.of(p.partial()) : List.of(),
                Named.as(StoreNames.SESSION_METER_OUTPUT + "partials"));
        // A tombstone's status is null: a singleton list, which (unlike List.of) holds a null.
        KStream<String, StreamStatus> streams = meterOutput.flatMapValues(
                v -> v instanceof MeterOutput.StreamRecord r ? Collections.singletonList(r.status()) : List.of(),
                Named.as(StoreNames.SESSION_METER_OUTPUT + "streams"));
        KStream<String, UsageItem> bills = meterOutput.flatMapValues(
                v -> v instanceof MeterOutput.Bill b ? List.of(b.item()) : List.of(),
                Named.as(StoreNames.SESSION_METER_OUTPUT + "usage"));
        streams.to(config.streamsTopic(), Produced.with(Serdes.String(), Topics.STREAMS.valueSerde()).withName(StoreNames.STREAMS_SINK));
        if (durability == Durability.DURABLE) {
            // One (tenant, model) on one ledger task, whichever session task its streams ran on.
            bills = bills.repartition(Repartitioned.<String, UsageItem>as(StoreNames.USAGE_TOPIC)
                    .withKeySerde(Serdes.String())
                    .withValueSerde(new UsageItemSerde()));
        }
        bills.process(() -> new UsageLedger(config), Named.as(StoreNames.USAGE_LEDGER), StoreNames.USAGE_WINDOWS,
                        StoreNames.USAGE_BILLED, StoreNames.USAGE_LEDGER_STATE)
                .to(config.usageTopic(), Produced.with(Serdes.String(), Topics.USAGE.valueSerde()).withName(StoreNames.USAGE_SINK));
        if (durability == Durability.DURABLE) {
            partials = partials.repartition(Repartitioned.<String, Partial>as(StoreNames.PARTIALS_TOPIC)
                    .withKeySerde(Serdes.String())
                    .withValueSerde(new PartialSerde())
                    .withNumberOfPartitions(1));
        }
        KStream<String, CombinerOutput> combinerOutput = partials.process(() -> new StatsCombiner(config, sessionTasks),
                Named.as(StoreNames.STATS_COMBINER), StoreNames.PARTIALS, StoreNames.READINGS, StoreNames.COMBINER_STATE);
        KStream<String, Stats> stats = combinerOutput.flatMapValues(
                v -> v instanceof CombinerOutput.StatsRecord r ? List.of(r.stats()) : List.of(),
                Named.as(StoreNames.STATS_COMBINER_OUTPUT + "stats"));
        KStream<String, Insight> insights = combinerOutput.flatMapValues(
                v -> v instanceof CombinerOutput.InsightRecord r ? List.of(r.insight()) : List.of(),
                Named.as(StoreNames.STATS_COMBINER_OUTPUT + "insights"));
        stats.to(config.statsTopic(), Produced.with(Serdes.String(), Topics.STATS.valueSerde()).withName(StoreNames.STATS_SINK));
        insights.to(config.insightsTopic(), Produced.with(Serdes.String(), Topics.INSIGHTS.valueSerde()).withName(StoreNames.INSIGHTS_SINK));
        return builder.build();
    }

    /**
     * The Kafka Streams settings this topology relies on, whoever runs it (the live app, the replay, the tests):
     * the dead-letter handlers and their topic. Callers add the connection, application id and guarantee.
     */
    public static Properties streamsProperties(MeteringConfig config) {
        Properties p = new Properties();
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, InvalidDeltaDeserializationHandler.class.getName());
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, InvalidDeltaProcessingHandler.class.getName());
        p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, config.deadLetterTopic());
        // No global stores here; opting in now is the Kafka 5.0 default and silences a startup warning.
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        // Every task of this topology reads one partition (a session task its deltas partition, the combiner the
        // single partials partition), so task idling, which holds back a task until each of its partitions has data
        // to choose the next record by time, has nothing to wait for: off, it changes no record's order and saves
        // Kafka Streams a per-record readiness check (a set built and a map walked for every record processed).
        p.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, String.valueOf(StreamsConfig.MAX_TASK_IDLE_MS_DISABLED));
        // A partial is bounded by PartialSerde.maxBytes(labels), labels being a task's own bound (about 7.8 MB at
        // the default 200, if every group's sketches were full; a few KB in practice): the partials topic and the
        // producer must take the bound, or a busy second would fail the task. Internal topics only ("topic." applies
        // to the app's own topics).
        int partialBound = PartialSerde.maxBytes(config.insightsMaxLabelsPerTask()) + 64 * 1024;
        p.put(StreamsConfig.topicPrefix(TopicConfig.MAX_MESSAGE_BYTES_CONFIG), String.valueOf(partialBound));
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), String.valueOf(Math.max(partialBound, 1024 * 1024)));
        return p;
    }

    /**
     * Whether {@code configs} (a processor's app configs, or a {@link Properties}) run exactly-once: then the
     * processors ask for a commit as soon as they have produced their once-a-second output, so that
     * read_committed consumers (the combiner reading the partials, dashboards reading the stats) see it at
     * once rather than at the next {@code commit.interval.ms}. Kafka 4 knows one exactly-once value,
     * {@code exactly_once_v2}, and trims what it is given.
     */
    public static boolean exactlyOnce(Map<?, ?> configs) {
        Object g = configs.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG);
        return g != null && StreamsConfig.EXACTLY_ONCE_V2.equals(g.toString().trim());
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
