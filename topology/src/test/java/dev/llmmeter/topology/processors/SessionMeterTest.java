package dev.llmmeter.topology.processors;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.StoreNames;
import dev.llmmeter.topology.Ticks;
import dev.llmmeter.topology.state.Partial;
import dev.llmmeter.topology.state.SessionsStore;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The session task's commits: under exactly-once its partial is committed right after each tick. */
class SessionMeterTest {
    private static final long T = 1_790_000_000_000L;

    @TempDir
    Path stateDir;

    private MockProcessorContext<String, Partial> context;
    private SessionsStore store;
    private SessionMeter meter;

    private void start(String guarantee) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "session-meter-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        context = new MockProcessorContext<>(props, new TaskId(0, 3), stateDir.toFile());
        context.setCurrentSystemTimeMs(T);
        store = SessionsStore.builder(StoreNames.SESSIONS, false).build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        meter = new SessionMeter(MeteringConfig.defaults());
        meter.init(context);
    }

    @AfterEach
    void close() {
        meter.close();
        store.close();
    }

    /** Runs the tick of the whole second {@code tick}, at its fire time. */
    private void tick(long tick) {
        long firedAt = Ticks.fireTime(tick);
        context.setCurrentSystemTimeMs(firedAt);
        context.scheduledPunctuators().get(0).getPunctuator().punctuate(firedAt);
    }

    @Test
    void exactlyOnceAsksForACommitRightAfterEachTick() {
        start(StreamsConfig.EXACTLY_ONCE_V2);
        meter.process(new Record<>("s1", DeltaEvent.begin("s1", T), T));
        meter.process(new Record<>("s1", DeltaEvent.output("s1", T + 200, 5), T + 200));
        assertFalse(context.committed(), "events alone do not ask for a commit");

        tick(T + 1_000);
        assertTrue(context.committed(), "the partial is committed at once, for the read_committed combiner");
        List<MockProcessorContext.CapturedForward<? extends String, ? extends Partial>> forwarded = context.forwarded();
        assertEquals(1, forwarded.size());
        assertEquals(new Partial(T + 1_000, 0.0, 0, 1, true), forwarded.get(0).record().value());

        context.resetCommit();
        tick(T + 2_000);
        assertTrue(context.committed(), "and at every tick after");
    }

    @Test
    void atLeastOnceLeavesCommitsToTheCommitInterval() {
        start(StreamsConfig.AT_LEAST_ONCE);
        meter.process(new Record<>("s1", DeltaEvent.begin("s1", T), T));
        tick(T + 1_000);
        assertEquals(1, context.forwarded().size());
        assertFalse(context.committed());
    }
}
