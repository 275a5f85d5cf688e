package dev.llmmeter.topology.usage;

import dev.llmmeter.contract.Usage;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.StoreNames;
import dev.llmmeter.topology.processors.MeteringMetrics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The ledger processor alone: its memory across restarts, and the bounds of that memory. */
class UsageLedgerTest {
    private static final long M = 1_790_000_040_000L; // a whole minute
    private static final String SOURCE = UsageLedger.source("ledger-test");

    private final KeyValueStore<String, UsageWindow> windows = store(StoreNames.USAGE_WINDOWS, new UsageWindowSerde());
    private final KeyValueStore<String, Long> billed = store(StoreNames.USAGE_BILLED, Serdes.Long());
    private final KeyValueStore<String, Long> state = store(StoreNames.USAGE_LEDGER_STATE, Serdes.Long());
    private MockProcessorContext<String, Usage> context;
    private UsageLedger ledger;

    private static <V> KeyValueStore<String, V> store(String name, org.apache.kafka.common.serialization.Serde<V> serde) {
        return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), serde).withLoggingDisabled().build();
    }

    /** Starts (or starts again, over the same stores: a restart or a moved task after the restore) at meter time {@code now}. */
    private void startAt(long now, MeteringConfig config) {
        if (ledger != null) {
            ledger.close();
        }
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "ledger-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        context = new MockProcessorContext<>(props, new TaskId(1, 0), null);
        context.setCurrentSystemTimeMs(now);
        boolean first = ledger == null;
        for (KeyValueStore<String, ?> s : List.of(windows, billed, state)) {
            if (first) {
                s.init(context.getStateStoreContext(), s);
            }
            context.addStateStore(s);
        }
        ledger = new UsageLedger(config);
        ledger.init(context);
    }

    private void bill(String stream, long time, long output) {
        ledger.process(new Record<>("k", new UsageItem(stream, "t", "m", time, 1, output, 0, 0, false), time));
    }

    private List<Usage> published() {
        List<Usage> out = context.forwarded().stream().map(f -> (Usage) f.record().value()).toList();
        context.resetForwards();
        return out;
    }

    private long counter(String name) {
        return MeteringMetrics.total(context.metrics().metrics(), name);
    }

    private static Usage minute(long requests, long input, long output) {
        return new Usage(Usage.windowId(SOURCE, Usage.Window.MINUTE, M, "t", "m"), SOURCE, "t", "m", Usage.Window.MINUTE, M,
                M + 60_000, requests, BigInteger.valueOf(input), BigInteger.valueOf(output), BigInteger.ZERO, BigInteger.ZERO, 0, null);
    }

    @Test
    @DisplayName("a restart keeps the open windows and the billed ids: a stream redelivered after it is billed once")
    void aRestartKeepsOpenWindowsAndTheDedupeMemory() {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.USAGE_GRACE_MS, "1000"));
        startAt(M, config);
        bill("s1", M + 10, 5);
        startAt(M + 20, config);
        bill("s1", M + 10, 5); // redelivered after the restart
        bill("s2", M + 30, 7);
        assertEquals(1, counter(MeteringMetrics.DUPLICATE_USAGE));
        ledger.onClock(M + 61_000);
        assertEquals(List.of(minute(2, 2, 12)), published());
        startAt(M + 62_000, config);
        assertEquals(List.of(), published()); // published once, not again after a restart
    }

    @Test
    @DisplayName("a billed id is remembered metering.usage.dedupe.ms on the meter's clock, then forgotten")
    void theDedupeMemoryLastsItsSetting() {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.USAGE_GRACE_MS, "1000",
                MeteringConfig.USAGE_DEDUPE_MS, "5000"));
        startAt(M, config);
        bill("s1", M + 10, 5);
        ledger.onClock(M + 4_999);
        bill("s1", M + 10, 5);
        assertEquals(1, counter(MeteringMetrics.DUPLICATE_USAGE));
        ledger.onClock(M + 5_000);
        assertEquals(0, billed.approximateNumEntries());
        bill("s1", M + 10, 5); // forgotten: billed again
        ledger.onClock(M + 61_000);
        assertEquals(List.of(minute(2, 2, 10)), published());
    }

    @Test
    @DisplayName("at metering.usage.dedupe.max.ids the oldest billed id is forgotten early, and counted")
    void theDedupeMemoryIsBoundedAndCountsEvictions() {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.USAGE_DEDUPE_MAX_IDS, "2"));
        startAt(M, config);
        bill("a", M + 1, 1);
        bill("b", M + 2, 1);
        bill("c", M + 3, 1);
        assertEquals(1, counter(MeteringMetrics.USAGE_DEDUPE_EVICTIONS));
        assertEquals(null, billed.get("a"));
        assertEquals(M, billed.get("c"));
        assertEquals(2, billed.approximateNumEntries());
    }
}
