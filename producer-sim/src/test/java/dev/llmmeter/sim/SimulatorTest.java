package dev.llmmeter.sim;

import dev.llmmeter.contract.DeltaEvent;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatorTest {
    static final long START = TrafficGeneratorTest.START;

    /** Records each event with the clock time it was sent at. */
    static final class RecordingSink implements EventSink {
        final List<DeltaEvent> events = new ArrayList<>();
        final List<Long> sentAt = new ArrayList<>();
        final AtomicLong clock;
        int flushes;
        RuntimeException failOn;

        RecordingSink(AtomicLong clock) {
            this.clock = clock;
        }

        @Override
        public void send(DeltaEvent event) {
            if (failOn != null && events.size() == 10) {
                throw failOn;
            }
            events.add(event);
            sentAt.add(clock.get());
        }

        @Override
        public void flush() {
            flushes++;
        }

        @Override
        public void close() {
        }
    }

    /** A clock that only moves when slept on. */
    static Pacer.Clock fakeClock(AtomicLong now, List<Long> sleeps) {
        return new Pacer.Clock() {
            @Override
            public long nowMs() {
                return now.get();
            }

            @Override
            public void sleepMs(long ms) {
                sleeps.add(ms);
                now.addAndGet(ms);
            }
        };
    }

    @Test
    void pacedEventsAreSentWhenTheClockReachesTheirTs() throws Exception {
        AtomicLong now = new AtomicLong(START);
        List<Long> sleeps = new ArrayList<>();
        RecordingSink sink = new RecordingSink(now);
        SimulationConfig c = SimulationConfig.of(5, 30, 10, 1, START);
        Simulator.Result r = new Simulator(Pacer.on(fakeClock(now, sleeps)), Progress.silent(), () -> false)
                .run(new TrafficGenerator(c), sink);
        assertEquals(TrafficGeneratorTest.all(c), sink.events);
        for (int i = 0; i < sink.events.size(); i++) {
            assertEquals(sink.events.get(i).ts(), sink.sentAt.get(i), "event " + i + " sent at its ts, not before or after");
        }
        assertTrue(sleeps.stream().allMatch(ms -> ms > 0 && ms <= Pacer.MAX_SLEEP_MS), "sleeps are sliced");
        assertEquals(sink.events.size(), r.events());
        assertFalse(r.stopped());
        assertEquals(1, sink.flushes);
    }

    @Test
    void aLateSenderCatchesUpWithoutWaiting() throws Exception {
        AtomicLong now = new AtomicLong(START + 3_600_000);
        List<Long> sleeps = new ArrayList<>();
        RecordingSink sink = new RecordingSink(now);
        new Simulator(Pacer.on(fakeClock(now, sleeps)), Progress.silent(), () -> false)
                .run(new TrafficGenerator(SimulationConfig.of(5, 30, 10, 1, START)), sink);
        assertEquals(List.of(), sleeps);
        assertFalse(sink.events.isEmpty());
    }

    @Test
    void unpacedEventsGoAtOnce() throws Exception {
        AtomicLong now = new AtomicLong(0);
        RecordingSink sink = new RecordingSink(now);
        SimulationConfig c = SimulationConfig.of(5, 30, 10, 1, START);
        new Simulator(Pacer.none(), Progress.silent(), () -> false).run(new TrafficGenerator(c), sink);
        assertEquals(TrafficGeneratorTest.all(c), sink.events);
    }

    @Test
    void aStopRequestEndsTheRunAndStillFlushes() throws Exception {
        AtomicLong now = new AtomicLong(START);
        RecordingSink sink = new RecordingSink(now);
        Simulator.Result r = new Simulator(Pacer.none(), Progress.silent(), () -> sink.events.size() >= 100)
                .run(new TrafficGenerator(SimulationConfig.of(5, 30, 10, 1, START)), sink);
        assertTrue(r.stopped());
        assertEquals(100, r.events());
        assertEquals(100, sink.events.size());
        assertEquals(1, sink.flushes);
    }

    @Test
    void aStopRequestEndsAPacedWait() throws Exception {
        AtomicLong now = new AtomicLong(START);
        List<Long> sleeps = new ArrayList<>();
        RecordingSink sink = new RecordingSink(now);
        Simulator.Result r = new Simulator(Pacer.on(fakeClock(now, sleeps)), Progress.silent(), () -> !sleeps.isEmpty())
                .run(new TrafficGenerator(SimulationConfig.of(5, 30, 10, 1, START)), sink);
        assertTrue(r.stopped());
        assertEquals(1, sleeps.size());
        assertEquals(1, sink.flushes);
    }

    @Test
    void aSinkFailureEndsTheProgressLineAndPropagates() {
        AtomicLong now = new AtomicLong(START);
        RecordingSink sink = new RecordingSink(now);
        sink.failOn = new SinkException("3 of 10 events could not be delivered");
        StringWriter err = new StringWriter();
        AtomicLong nanos = new AtomicLong();
        Progress progress = new Progress(new PrintWriter(err), () -> nanos.addAndGet(200_000_000L), "simulate");
        SinkException e = assertThrows(SinkException.class, () -> new Simulator(Pacer.none(), progress, () -> false)
                .run(new TrafficGenerator(SimulationConfig.of(5, 30, 10, 1, START)), sink));
        assertEquals("3 of 10 events could not be delivered", e.getMessage());
        assertEquals(0, sink.flushes);
    }

    @Test
    void theProgressLineIsRewrittenInPlaceAboutOnceASecond() {
        StringWriter err = new StringWriter();
        AtomicLong nanos = new AtomicLong();
        Progress p = new Progress(new PrintWriter(err), nanos::get, "simulate");
        for (int i = 0; i < 64; i++) {
            p.eventSent(3);
        }
        assertEquals("", err.toString(), "less than a second: nothing yet");
        nanos.set(2_000_000_000L);
        for (int i = 0; i < 64; i++) {
            p.eventSent(3);
        }
        assertEquals("\rsimulate: 128 events sent, 64 events/s, 3 live streams", err.toString());
        for (int i = 0; i < 12_800; i++) {
            p.eventSent(10_000);
        }
        nanos.set(3_000_000_000L);
        p.poll(10_000);
        assertEquals("\rsimulate: 128 events sent, 64 events/s, 3 live streams"
                + "\rsimulate: 12,928 events sent, 12,800 events/s, 10,000 live streams", err.toString());
        nanos.set(3_500_000_000L);
        p.finish(0);
        assertEquals("\rsimulate: 128 events sent, 64 events/s, 3 live streams"
                + "\rsimulate: 12,928 events sent, 12,800 events/s, 10,000 live streams"
                + "\rsimulate: 12,928 events sent, 0 events/s, 0 live streams"
                + " ".repeat(10) // blanks out the rest of the longer line before
                + System.lineSeparator(), err.toString());
    }

    @Test
    void aShortRunPrintsNoProgressLine() {
        StringWriter err = new StringWriter();
        Progress p = new Progress(new PrintWriter(err), () -> 0L, "simulate");
        p.eventSent(1);
        p.finish(0);
        assertEquals("", err.toString());
    }
}
