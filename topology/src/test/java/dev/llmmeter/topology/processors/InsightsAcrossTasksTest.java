package dev.llmmeter.topology.processors;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.Insight;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.StoreNames;
import dev.llmmeter.topology.Ticks;
import dev.llmmeter.topology.state.Partial;
import dev.llmmeter.topology.state.PartialSerde;
import dev.llmmeter.topology.state.SessionsStore;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.stream.Stream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The insights' label slots with several session tasks (a TopologyTestDriver runs one): two session meters, each on
 * its own partition, report their partials to one combiner, as the topology wires them. Which labels have a group
 * of their own is the combiner's decision alone, so a named group holds every task's share of its streams.
 */
class InsightsAcrossTasksTest {
    private static final long T = 1_790_000_000_000L;

    @TempDir
    Path stateDir;

    private final List<SessionTask> tasks = new ArrayList<>();
    private MockProcessorContext<String, CombinerOutput> combinerContext;
    private StatsCombiner combiner;

    /** One session task: its meter, over its own stores, on partition {@code partition}. */
    private final class SessionTask {
        final MockProcessorContext<String, MeterOutput> context;
        final SessionMeter meter;
        final List<KeyValueStore<?, ?>> stores = new ArrayList<>();

        SessionTask(MeteringConfig config, int partition) {
            context = new MockProcessorContext<>(props(), new TaskId(0, partition), stateDir.toFile());
            context.setCurrentSystemTimeMs(T);
            SessionsStore sessions = SessionsStore.builder(StoreNames.SESSIONS, false).build();
            sessions.init(context.getStateStoreContext(), sessions);
            context.addStateStore(sessions);
            stores.add(sessions);
            KeyValueStore<String, Long> endings = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StoreNames.STREAM_ENDINGS),
                    Serdes.String(), Serdes.Long()).withLoggingDisabled().build();
            endings.init(context.getStateStoreContext(), endings);
            context.addStateStore(endings);
            stores.add(endings);
            meter = new SessionMeter(config);
            meter.init(context);
        }

        void deliver(DeltaEvent e) {
            context.setCurrentSystemTimeMs(Math.max(e.ts(), context.currentSystemTimeMs()));
            meter.process(new Record<>(e.streamId(), e, e.ts()));
        }

        /** Runs the tick and returns its partial. */
        Partial tick(long tick) {
            long firedAt = Ticks.fireTime(tick);
            context.setCurrentSystemTimeMs(firedAt);
            context.scheduledPunctuators().get(0).getPunctuator().punctuate(firedAt);
            Partial p = context.forwarded().stream().map(f -> f.record().value())
                    .flatMap(v -> v instanceof MeterOutput.TaskPartial tp ? Stream.of(tp.partial()) : Stream.empty())
                    .findFirst().orElseThrow();
            context.resetForwards();
            return p;
        }
    }

    private static Properties props() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "insights-across-tasks-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        return props;
    }

    private void start(MeteringConfig config, int sessionTasks) {
        for (int p = 0; p < sessionTasks; p++) {
            tasks.add(new SessionTask(config, p));
        }
        combinerContext = new MockProcessorContext<>(props(), new TaskId(1, 0), stateDir.toFile());
        combinerContext.setCurrentSystemTimeMs(T);
        addStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StoreNames.PARTIALS), Serdes.String(), new PartialSerde()));
        addStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StoreNames.READINGS), Serdes.Long(), Serdes.Double()));
        addStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StoreNames.COMBINER_STATE), Serdes.String(), Serdes.Long()));
        combiner = new StatsCombiner(config, sessionTasks);
        combiner.init(combinerContext);
    }

    private <S extends KeyValueStore<?, ?>> void addStore(StoreBuilder<S> builder) {
        S store = builder.withLoggingDisabled().build();
        store.init(combinerContext.getStateStoreContext(), store);
        combinerContext.addStateStore(store);
    }

    /** Every task runs the tick, and its partial reaches the combiner, in task order. */
    private void tick(long tick) {
        for (SessionTask t : tasks) {
            Partial p = t.tick(tick);
            combinerContext.setCurrentSystemTimeMs(Math.max(Ticks.fireTime(tick), combinerContext.currentSystemTimeMs()));
            combiner.process(new Record<>(t.context.taskId().toString(), p, tick));
        }
    }

    /** Key, active and started of each insights record of {@code tick}, in order. */
    private List<String> insightsAt(long tick) {
        return combinerContext.forwarded().stream().map(f -> f.record().value())
                .flatMap(v -> v instanceof CombinerOutput.InsightRecord r ? Stream.of(r.insight()) : Stream.empty()).filter(i -> i.ts() == tick)
                .map(i -> i.key() + " active=" + i.active() + " started=" + i.started()).toList();
    }

    @AfterEach
    void close() {
        for (SessionTask t : tasks) {
            t.meter.close();
            t.stores.forEach(KeyValueStore::close);
        }
        if (combiner != null) {
            combiner.close();
        }
    }

    /**
     * One label slot, two tasks: task 0 meters a stream of a; task 1 one of b, then one of a. a reached the combiner
     * first and has the slot: both of a's streams are in model:a, whatever task metered them, and b alone in other.
     */
    @Test
    void aNamedGroupHoldsEveryTasksShareOfItsStreams() {
        start(MeteringConfig.fromMap(Map.of(MeteringConfig.INSIGHTS_MAX_LABELS, "1")), 2);
        SessionTask first = tasks.get(0);
        SessionTask second = tasks.get(1);
        first.deliver(DeltaEvent.begin("x1", T + 100, "a", "t"));
        first.deliver(DeltaEvent.output("x1", T + 200, 1));
        second.deliver(DeltaEvent.begin("y1", T + 100, "b", "t"));
        second.deliver(DeltaEvent.output("y1", T + 200, 1));
        tick(T + 1_000);
        second.deliver(DeltaEvent.begin("y2", T + 1_100, "a", "u"));
        second.deliver(DeltaEvent.output("y2", T + 1_200, 1));
        tick(T + 2_000);
        tick(T + 3_000);

        assertEquals(List.of("global active=2 started=2", "model:a active=1 started=1", "model:other active=1 started=1",
                "tenant:t active=2 started=2"), insightsAt(T + 1_000));
        List<String> both = List.of("global active=3 started=3", "model:a active=2 started=2", "model:other active=1 started=1",
                "tenant:t active=2 started=2", "tenant:other active=1 started=1");
        assertEquals(both, insightsAt(T + 2_000));
        assertEquals(both, insightsAt(T + 3_000));
        assertEquals(2, MeteringMetrics.total(combinerContext.metrics().metrics(), MeteringMetrics.FOLDED_LABELS),
                "b and u refused, each once");
    }
}
