package dev.llmmeter.topology.state;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.DeltaEventCodec;
import dev.llmmeter.contract.EventType;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.MeteringStreamsConfig;
import dev.llmmeter.topology.MeteringTopology;
import dev.llmmeter.topology.StoreNames;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The write-behind sessions store: one write per changed session per flush, and a flush before every commit. */
class SessionsStoreTest {
    private static final long T0 = 1_790_000_000_000L;

    @TempDir
    Path dir;

    private SessionsStore store;

    @BeforeEach
    void setUp() {
        store = init(new SessionsStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(StoreNames.SESSIONS),
                Serdes.String(), new SessionSerde()).withLoggingDisabled().build(), true));
    }

    private static SessionsStore init(SessionsStore s) {
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
        s.init(context.getStateStoreContext(), s);
        return s;
    }

    /** The replay's store (in memory, no changelog): commits need not find the changes written; reads do. */
    @Test
    void withoutAChangelogChangesAreWrittenInBatchesOrWhenRead() {
        SessionsStore ephemeral = init(SessionsStore.builder(StoreNames.SESSIONS, false).build());
        ephemeral.put("s1", Session.begun(T0, T0));
        ephemeral.flushCache();
        assertEquals(1, ephemeral.pending(), "a commit alone does not write");
        assertEquals(T0, ephemeral.get("s1").beginTs(), "a read does");
        assertEquals(0, ephemeral.pending());
        for (int i = 0; i < SessionsStore.EPHEMERAL_BATCH; i++) {
            ephemeral.put("s" + i, Session.begun(T0 + i, T0 + i));
        }
        ephemeral.flushCache();
        assertEquals(0, ephemeral.pending(), "a full batch is written at the next commit");
    }

    @Test
    void putsAreRememberedOncePerSessionAndWrittenWithTheirStateAtFlush() {
        Session s = Session.begun(T0, T0);
        store.put("s1", s);
        s.applyDelta(EventType.OUTPUT, 1, T0 + 100, T0 + 100);
        store.put("s1", s);
        s.applyDelta(EventType.OUTPUT, 2, T0 + 200, T0 + 200);
        store.put("s1", s);
        assertEquals(1, store.pending(), "one pending write for one session, however often it changed");

        store.flushCache();
        assertEquals(0, store.pending());
        Session written = store.get("s1");
        assertEquals(2, written.outputTokens());
        assertEquals(T0 + 100, written.firstDeltaTs());
        assertEquals(T0 + 200, written.lastDeltaTs());

        s.applyDelta(EventType.OUTPUT, 3, T0 + 300, T0 + 300);
        store.put("s1", s);
        assertEquals(1, store.pending(), "changed again after the flush: pending again");
        assertEquals(3, store.get("s1").outputTokens(), "reads flush first");
    }

    @Test
    void theLastWriteOfAKeyWins() {
        Session first = Session.begun(T0, T0);
        store.put("s1", first);
        store.delete("s1");
        store.flushCache();
        assertNull(store.get("s1"));

        store.put("s1", first);
        store.delete("s1");
        Session again = Session.begun(T0 + 5_000, T0 + 5_000);
        store.put("s1", again);
        store.flushCache();
        assertEquals(T0 + 5_000, store.get("s1").beginTs());
        assertEquals(1, store.approximateNumEntries());
    }

    @Test
    void clearCacheDropsPendingWrites() {
        Session s = Session.begun(T0, T0);
        store.put("s1", s);
        store.clearCache();
        assertNull(store.get("s1"));
        store.put("s1", s);
        assertEquals(1, store.pending(), "a dropped session can be put again");
    }

    /**
     * The live topology on RocksDB with a changelog: Kafka Streams commits after every record in the test
     * driver, and each commit must find the changelog holding the session's latest state (the store is
     * flushed before the commit, not after).
     */
    @Test
    void everyCommitLeavesTheChangelogUpToDate() {
        MeteringConfig config = MeteringConfig.defaults();
        Properties props = MeteringStreamsConfig.required(config);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "sessions-store-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
        try (TopologyTestDriver driver = new TopologyTestDriver(MeteringTopology.build(config), props, Instant.ofEpochMilli(T0))) {
            TestInputTopic<byte[], byte[]> in = driver.createInputTopic(config.deltasTopic(), new ByteArraySerializer(), new ByteArraySerializer());
            TestOutputTopic<String, Session> changelog = driver.createOutputTopic("sessions-store-test-sessions-changelog",
                    new StringDeserializer(), new SessionSerde());
            List<DeltaEvent> events = List.of(DeltaEvent.begin("s1", T0), DeltaEvent.output("s1", T0 + 100, 1),
                    DeltaEvent.reasoning("s1", T0 + 150, 4), DeltaEvent.output("s1", T0 + 200, 2));
            for (DeltaEvent e : events) {
                in.pipeInput(new TestRecord<>(e.streamId().getBytes(StandardCharsets.UTF_8), DeltaEventCodec.encode(e), null, e.ts()));
                List<TestRecord<String, Session>> logged = changelog.readRecordsToList();
                assertEquals(1, logged.size(), "one changelog record for the commit after " + e);
                Session s = logged.get(0).value();
                assertEquals(e.ts(), s.hasDelta() ? s.lastDeltaTs() : s.beginTs(), "the changelog has the state after " + e);
            }
            Session last = driver.<String, Session>getKeyValueStore(StoreNames.SESSIONS).get("s1");
            assertEquals(2, last.outputTokens());
            assertEquals(4, last.reasoningTokens());

            in.pipeInput(new TestRecord<>("s1".getBytes(StandardCharsets.UTF_8),
                    DeltaEventCodec.encode(DeltaEvent.end("s1", T0 + 300, 2, 10)), null, T0 + 300));
            TestRecord<String, Session> tombstone = changelog.readRecord();
            assertEquals("s1", tombstone.key());
            assertNull(tombstone.value(), "end deletes the session from the changelog too");
        }
    }
}
