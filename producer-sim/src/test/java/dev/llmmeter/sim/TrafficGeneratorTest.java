package dev.llmmeter.sim;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.EventType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class TrafficGeneratorTest {
    static final long START = 1_790_000_000_000L;

    static List<DeltaEvent> all(SimulationConfig c) {
        List<DeltaEvent> out = new ArrayList<>();
        new TrafficGenerator(c).forEachRemaining(out::add);
        return out;
    }

    static Map<String, List<DeltaEvent>> byStream(List<DeltaEvent> events) {
        Map<String, List<DeltaEvent>> m = new LinkedHashMap<>();
        for (DeltaEvent e : events) {
            m.computeIfAbsent(e.streamId(), k -> new ArrayList<>()).add(e);
        }
        return m;
    }

    @Test
    void sameConfigAndSeedGiveIdenticalEvents() {
        SimulationConfig c = SimulationConfig.of(30, 30, 40, 42, START);
        List<DeltaEvent> first = all(c);
        assertTrue(first.size() > 10_000, "events: " + first.size());
        assertEquals(first, all(c));
    }

    @Test
    void differentSeedsGiveDifferentTraffic() {
        List<DeltaEvent> a = all(SimulationConfig.of(30, 30, 40, 42, START));
        List<DeltaEvent> b = all(SimulationConfig.of(30, 30, 40, 43, START));
        // Not only the ids: the times and shapes differ too.
        assertNotEquals(a.stream().map(e -> e.ts() + e.type().wireName() + e.running()).toList(),
                b.stream().map(e -> e.ts() + e.type().wireName() + e.running()).toList());
        assertEquals("sim-42-1", a.stream().filter(e -> e.type() == EventType.BEGIN).map(DeltaEvent::streamId)
                .filter(id -> id.equals("sim-42-1")).findFirst().orElseThrow());
        assertTrue(b.stream().allMatch(e -> e.streamId().startsWith("sim-43-")));
    }

    @Test
    void eventsComeInNonDecreasingTsOrderNotBeforeTheStart() {
        List<DeltaEvent> events = all(SimulationConfig.of(200, 50, 60, 3, START));
        long previous = START;
        for (int i = 0; i < events.size(); i++) {
            DeltaEvent e = events.get(i);
            assertTrue(e.ts() >= previous, "event " + i + " at " + e.ts() + " comes after one at " + previous);
            previous = e.ts();
        }
    }

    @Test
    void everyStreamBeginsCountsUpByOneAndEndsLastWithItsOutputCount() {
        SimulationConfig c = SimulationConfig.of(100, 30, 60, 5, START);
        Map<String, List<DeltaEvent>> streams = byStream(all(c));
        int n = 0;
        for (Map.Entry<String, List<DeltaEvent>> entry : streams.entrySet()) {
            n++;
            String id = entry.getKey();
            List<DeltaEvent> es = entry.getValue();
            assertEquals(EventType.BEGIN, es.get(0).type(), id + " starts with begin");
            long reasoning = 0;
            long output = 0;
            for (int i = 1; i < es.size(); i++) {
                DeltaEvent e = es.get(i);
                switch (e.type()) {
                    case BEGIN -> fail(id + " has a second begin");
                    case REASONING -> {
                        assertEquals(0, output, id + ": reasoning after output");
                        assertEquals(++reasoning, e.running(), id + " reasoning running");
                    }
                    case OUTPUT -> assertEquals(++output, e.running(), id + " output running");
                    case END -> {
                        assertEquals(es.size() - 1, i, id + ": events after end");
                        assertEquals(output, e.finalOutputTokens(), id + " final_output_tokens");
                        assertTrue(e.inputTokens() >= TrafficGenerator.MIN_INPUT_TOKENS
                                && e.inputTokens() <= TrafficGenerator.MAX_INPUT_TOKENS, id + " input " + e.inputTokens());
                        if (e.ts() == c.endEpochMs()) {
                            continue; // cut short at the end of the duration
                        }
                        assertTrue(output >= TrafficGenerator.MIN_OUTPUT_DELTAS
                                && output <= TrafficGenerator.MAX_OUTPUT_DELTAS, id + " output " + output);
                        assertTrue(reasoning == 0 || reasoning >= TrafficGenerator.MIN_REASONING_DELTAS
                                && reasoning <= TrafficGenerator.MAX_REASONING_DELTAS, id + " reasoning " + reasoning);
                    }
                }
            }
            if (es.size() > 1 && es.get(1).isDelta()) {
                long firstDelta = es.get(1).ts() - es.get(0).ts();
                assertTrue(firstDelta >= TrafficGenerator.MIN_FIRST_DELTA_MS
                        && firstDelta <= TrafficGenerator.MAX_FIRST_DELTA_MS, id + " time to first delta " + firstDelta);
            }
        }
        // Ids are sim-<seed>-1, -2, ...: every number up to the count, no gaps.
        for (int i = 1; i <= n; i++) {
            assertTrue(streams.containsKey("sim-5-" + i), "missing sim-5-" + i);
        }
    }

    @Test
    void theConfiguredFractionsGiveExactCountsForAFixedSeed() {
        TrafficGenerator g = new TrafficGenerator(SimulationConfig.of(400, 30, 240, 7, START));
        Map<String, long[]> streams = new HashMap<>(); // id -> {events, ended}
        while (g.hasNext()) {
            DeltaEvent e = g.next();
            long[] s = streams.computeIfAbsent(e.streamId(), k -> new long[2]);
            s[0]++;
            if (e.type() == EventType.END) {
                s[1] = 1;
            }
        }
        long ended = streams.values().stream().filter(s -> s[1] == 1).count();
        long neverFed = streams.values().stream().filter(s -> s[0] == 1).count();
        long abandoned = streams.values().stream().filter(s -> s[0] > 1 && s[1] == 0).count();
        // Each stream is to be abandoned with probability 3% and never fed with 2%, independently; one
        // stream to be abandoned is still waiting for its first delta at the end, so it is never fed.
        assertEquals(5362, ended + abandoned + neverFed, "streams");
        assertEquals(167, abandoned, "abandoned streams (3% of 5362 is 160.9)");
        assertEquals(92, neverFed, "never-fed streams (2% of 5362 is 107.2)");
        assertEquals(5362, g.streamsBegun());
        assertEquals(ended, g.streamsEnded());
        assertEquals(abandoned, g.streamsAbandoned());
        assertEquals(neverFed, g.streamsNeverFed());
    }

    @Test
    void withoutFailuresEveryStreamEnds() {
        TrafficGenerator g = new TrafficGenerator(SimulationConfig.of(200, 30, 120, 7, START).withoutFailures());
        List<DeltaEvent> events = new ArrayList<>();
        g.forEachRemaining(events::add);
        for (List<DeltaEvent> es : byStream(events).values()) {
            assertEquals(EventType.END, es.get(es.size() - 1).type(), es.get(0).streamId());
        }
        assertEquals(0, g.streamsAbandoned());
        assertEquals(0, g.streamsNeverFed());
        assertEquals(g.streamsBegun(), g.streamsEnded());
    }

    @Test
    void withAllStreamsNeverFedOnlyBeginsAreSent() {
        List<DeltaEvent> events = all(SimulationConfig.of(10, 30, 10, 7, START)
                .withAbandonedFraction(0).withNeverFedFraction(1));
        assertFalse(events.isEmpty());
        assertTrue(events.stream().allMatch(e -> e.type() == EventType.BEGIN));
    }

    @Test
    void exactlyNStreamsAreLiveFromTheEndOfTheStaggerUntilTheDurationEnds() {
        int n = 300;
        SimulationConfig c = SimulationConfig.of(n, 30, 90, 11, START);
        TrafficGenerator g = new TrafficGenerator(c);
        long checked = 0;
        DeltaEvent last = null;
        int liveAfterLast = 0;
        int maxLive = 0;
        while (g.hasNext()) {
            DeltaEvent e = g.next();
            // The live count at time t is the one after the last event at t.
            if (last != null && e.ts() != last.ts() && last.ts() >= START + TrafficGenerator.MAX_STAGGER_MS
                    && last.ts() < c.endEpochMs()) {
                assertEquals(n, liveAfterLast, "live streams at " + (last.ts() - START) + " ms");
                checked++;
            }
            if (e.type() == EventType.BEGIN) {
                assertTrue(e.ts() < c.endEpochMs(), "a stream begins after the duration");
            }
            last = e;
            liveAfterLast = g.liveStreams();
            maxLive = Math.max(maxLive, liveAfterLast);
        }
        assertTrue(checked > 80_000, "checked " + checked + " instants");
        assertEquals(n, maxLive);
        assertEquals(0, g.liveStreams(), "every stream is finished at the end");
    }

    @Test
    void liveStreamsCountedFromTheEventsAloneIsNWhenNoStreamFails() {
        int n = 50;
        SimulationConfig c = SimulationConfig.of(n, 30, 60, 13, START).withoutFailures();
        List<DeltaEvent> events = all(c);
        int live = 0;
        for (int i = 0; i < events.size(); i++) {
            DeltaEvent e = events.get(i);
            live += e.type() == EventType.BEGIN ? 1 : e.type() == EventType.END ? -1 : 0;
            boolean lastAtItsTs = i + 1 == events.size() || events.get(i + 1).ts() != e.ts();
            if (lastAtItsTs && e.ts() >= START + TrafficGenerator.MAX_STAGGER_MS && e.ts() < c.endEpochMs()) {
                assertEquals(n, live, "begun minus ended at " + (e.ts() - START) + " ms");
            }
        }
        assertEquals(0, live);
    }

    @Test
    void atTheEndOfTheDurationEveryLiveStreamEndsAtOnce() {
        int n = 100;
        SimulationConfig c = SimulationConfig.of(n, 30, 60, 37, START).withoutFailures();
        List<DeltaEvent> events = all(c);
        assertEquals(c.endEpochMs(), events.get(events.size() - 1).ts(), "the last event is at the end");
        List<DeltaEvent> atEnd = events.stream().filter(e -> e.ts() == c.endEpochMs()).toList();
        assertEquals(n, atEnd.size(), "all N live streams end at the end");
        assertTrue(atEnd.stream().allMatch(e -> e.type() == EventType.END));
        assertEquals(n, atEnd.stream().map(DeltaEvent::streamId).distinct().count());
        assertTrue(events.stream().allMatch(e -> e.ts() <= c.endEpochMs()));
    }

    @Test
    void atTheEndStreamsDueToBeAbandonedJustStop() {
        SimulationConfig c = SimulationConfig.of(100, 30, 60, 37, START).withNeverFedFraction(0).withAbandonedFraction(1);
        List<DeltaEvent> events = all(c);
        assertTrue(events.stream().noneMatch(e -> e.type() == EventType.END));
        assertTrue(events.stream().allMatch(e -> e.ts() < c.endEpochMs()));
    }

    @Test
    void theFirstStreamsBeginStaggeredOverTheFirstFiveSeconds() {
        int n = 1000;
        Map<String, List<DeltaEvent>> streams = byStream(all(SimulationConfig.of(n, 30, 10, 17, START)));
        int[] perSecond = new int[5];
        for (int i = 1; i <= n; i++) {
            String id = "sim-17-" + i;
            DeltaEvent begin = streams.get(id).get(0);
            long offset = begin.ts() - START;
            assertTrue(offset >= 0 && offset < TrafficGenerator.MAX_STAGGER_MS, id + " begins at +" + offset + " ms");
            perSecond[(int) (offset / 1000)]++;
        }
        for (int s = 0; s < 5; s++) {
            assertTrue(perSecond[s] >= 150 && perSecond[s] <= 250, "begins in second " + s + ": " + perSecond[s]);
        }
    }

    @Test
    void aShortDurationStaggersTheFirstStreamsWithinIt() {
        List<DeltaEvent> events = all(SimulationConfig.of(100, 30, 1, 19, START).withoutFailures());
        assertTrue(events.stream().filter(e -> e.type() == EventType.BEGIN).allMatch(e -> e.ts() < START + 1000));
        assertEquals(100, events.stream().filter(e -> e.type() == EventType.BEGIN).count(),
                "no stream finishes within 1 s, so only the first 100 begin");
    }

    /**
     * Constant rate: with jitter 0, delta k of a phase is at phaseStart + Math.round(k * 1000 / R); so for
     * R = 20 every gap is exactly 50 ms, and for R = 30 the k-th output delta is Math.round(k * 33.33...)
     * ms after the first, each gap 33 or 34 ms, never drifting.
     */
    @Test
    void withoutJitterOutputDeltasAreExactly1000OverRMsApart() {
        for (double rate : new double[] {20, 30}) {
            SimulationConfig c = SimulationConfig.of(40, rate, 30, 23, START).withJitter(0);
            long checked = 0;
            for (List<DeltaEvent> es : byStream(all(c)).values()) {
                List<DeltaEvent> outputs = es.stream().filter(e -> e.type() == EventType.OUTPUT).toList();
                List<DeltaEvent> reasoning = es.stream().filter(e -> e.type() == EventType.REASONING).toList();
                for (List<DeltaEvent> phase : List.of(outputs, reasoning)) {
                    for (int k = 1; k < phase.size(); k++) {
                        long sinceFirst = phase.get(k).ts() - phase.get(0).ts();
                        assertEquals(Math.round(k * 1000.0 / rate), sinceFirst, "delta " + k + " at rate " + rate);
                        long gap = phase.get(k).ts() - phase.get(k - 1).ts();
                        if (rate == 20) {
                            assertEquals(50, gap);
                        } else {
                            assertTrue(gap == 33 || gap == 34, "gap " + gap);
                        }
                        checked++;
                    }
                }
            }
            assertTrue(checked > 10_000, "checked " + checked + " gaps");
        }
    }

    @Test
    void withJitterStreamRatesSpreadAroundR() {
        double rate = 40;
        double sum = 0;
        double min = Double.MAX_VALUE;
        double max = 0;
        int streams = 0;
        SimulationConfig c = SimulationConfig.of(100, rate, 120, 29, START).withoutFailures();
        for (List<DeltaEvent> es : byStream(all(c)).values()) {
            if (es.get(es.size() - 1).ts() == c.endEpochMs()) {
                continue; // cut short at the end
            }
            List<DeltaEvent> outputs = es.stream().filter(e -> e.type() == EventType.OUTPUT).toList();
            double r = (outputs.size() - 1) * 1000.0 / (outputs.get(outputs.size() - 1).ts() - outputs.get(0).ts());
            sum += r;
            min = Math.min(min, r);
            max = Math.max(max, r);
            streams++;
        }
        double mean = sum / streams;
        assertTrue(mean > 0.9 * rate && mean < 1.1 * rate, "mean rate " + mean);
        assertTrue(min < 0.7 * rate, "slowest stream " + min);
        assertTrue(max > 1.3 * rate, "fastest stream " + max);
    }

    @Test
    void tenThousandStreamsGenerateLazily() {
        TrafficGenerator g = new TrafficGenerator(SimulationConfig.of(10_000, 30, 3600, 31, START));
        long events = 0;
        while (events < 500_000 && g.hasNext()) {
            g.next();
            events++;
        }
        assertEquals(500_000, events);
        assertEquals(10_000, g.liveStreams());
    }

    @Test
    void nextAfterTheLastEventThrows() {
        TrafficGenerator g = new TrafficGenerator(SimulationConfig.of(1, 30, 1, 1, START).withAbandonedFraction(0)
                .withNeverFedFraction(1));
        assertEquals(EventType.BEGIN, g.next().type());
        assertFalse(g.hasNext());
        assertThrows(NoSuchElementException.class, g::next);
    }

    @Test
    void invalidConfigsAreRejectedWithTheirReason() {
        assertEquals("streams must be positive, got 0",
                assertThrows(IllegalArgumentException.class, () -> SimulationConfig.of(0, 30, 60, 1, START)).getMessage());
        assertEquals("rate must be a number of at least 0.01 deltas/s, got -1.0",
                assertThrows(IllegalArgumentException.class, () -> SimulationConfig.of(1, -1, 60, 1, START)).getMessage());
        assertEquals("rate must be a number of at least 0.01 deltas/s, got NaN",
                assertThrows(IllegalArgumentException.class, () -> SimulationConfig.of(1, Double.NaN, 60, 1, START)).getMessage());
        assertEquals("duration must be positive, got 0",
                assertThrows(IllegalArgumentException.class, () -> SimulationConfig.of(1, 30, 0, 1, START)).getMessage());
        assertEquals("jitter must be within 0..1, got 1.5",
                assertThrows(IllegalArgumentException.class, () -> SimulationConfig.of(1, 30, 1, 1, START).withJitter(1.5)).getMessage());
        assertEquals("abandoned + never-fed fractions must not exceed 1, got 0.6 + 0.5",
                assertThrows(IllegalArgumentException.class,
                        () -> SimulationConfig.of(1, 30, 1, 1, START).withAbandonedFraction(0.6).withNeverFedFraction(0.5)).getMessage());
    }
}
