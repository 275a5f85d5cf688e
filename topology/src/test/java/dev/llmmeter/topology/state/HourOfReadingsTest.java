package dev.llmmeter.topology.state;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The seed's rolling hour of readings, for high/low: what is recorded, what is dropped, what counts. */
class HourOfReadingsTest {
    private static final long T = 1_790_000_000_000L;
    private static final long HOUR = 3_600_000;

    private KeyValueStore<Long, Double> store;
    private HourOfReadings readings;

    @BeforeEach
    void setUp() {
        store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("readings"), Serdes.Long(), Serdes.Double())
                .withLoggingDisabled().build();
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
        store.init(context.getStateStoreContext(), store);
        readings = new HourOfReadings(store, HOUR);
    }

    @Test
    void onlyTicksWithActiveWorkAreRecorded() {
        readings.record(T, Double.NaN); // no reading at all (the seed's None)
        readings.record(T + 1000, 0.0);
        readings.record(T + 2000, 12.5);
        assertEquals(1, store.approximateNumEntries());
        assertEquals(12.5, store.get(T + 2000));
    }

    @Test
    void readingsBelowOneAreKeptButLeftOutOfHighAndLow() {
        readings.record(T, 0.4);
        assertEquals(Double.NaN, readings.high());
        assertEquals(Double.NaN, readings.low());
        readings.record(T + 1000, 3.0);
        readings.record(T + 2000, 7.0);
        assertEquals(7.0, readings.high());
        assertEquals(3.0, readings.low());
        assertEquals(3, store.approximateNumEntries());
    }

    @Test
    void aReadingExactlyAnHourOldIsDropped() {
        readings.record(T, 40.0);
        readings.record(T + 1000, 20.0);
        readings.prune(T + HOUR - 1);
        assertEquals(40.0, readings.high());
        readings.prune(T + HOUR); // the seed keeps ts > now - 3600
        assertEquals(20.0, readings.high());
        assertNull(store.get(T));
    }

    @Test
    void readingsFromTheFutureAreForgotten() {
        readings.record(T, 10.0);
        readings.record(T + HOUR, 90.0);
        readings.forgetAfter(T);
        assertEquals(10.0, readings.high());
        assertNull(store.get(T + HOUR));
    }

    @Test
    void theHourComesBackFromTheStoreInTickOrder() {
        readings.record(T, 10.0);
        readings.record(T + 1000, 30.0);
        HourOfReadings restored = new HourOfReadings(store, HOUR);
        restored.prune(T + HOUR);
        assertEquals(30.0, restored.high());
        assertEquals(30.0, restored.low());
    }
}
