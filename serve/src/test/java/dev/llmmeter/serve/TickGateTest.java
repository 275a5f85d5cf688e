package dev.llmmeter.serve;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.llmmeter.serve.Records.T0;
import static dev.llmmeter.serve.TickGate.Verdict.BEHIND;
import static dev.llmmeter.serve.TickGate.Verdict.DELIVER;
import static dev.llmmeter.serve.TickGate.Verdict.REPEAT;
import static org.junit.jupiter.api.Assertions.assertEquals;

class TickGateTest {
    private static final long HOUR = Duration.ofHours(1).toMillis();
    private static final long YEAR_2100 = 4_102_444_800_000L;

    private final TickGate gate = new TickGate(600, 5);

    private List<TickGate.Verdict> admit(long... ticks) {
        List<TickGate.Verdict> verdicts = new ArrayList<>();
        for (long ts : ticks) {
            verdicts.add(gate.admit(ts));
        }
        return verdicts;
    }

    @Test
    @DisplayName("a repeated tick is shown once")
    void aRepeatedTickIsShownOnce() {
        assertEquals(List.of(DELIVER, DELIVER, REPEAT, DELIVER, REPEAT),
                admit(T0, T0 + 1000, T0 + 1000, T0 + 2000, T0));
    }

    @Test
    @DisplayName("a tick behind the newest one, never seen before, is skipped")
    void aStaleTickBehindTheWatermarkIsSkipped() {
        assertEquals(List.of(DELIVER, DELIVER, BEHIND, DELIVER), admit(T0 - 2000, T0, T0 - 1000, T0 + 1000));
    }

    @Test
    @DisplayName("a topology whose clock is an hour ahead of serve's, or an hour behind, is gated by its own ticks alone")
    void servesClockFarAheadOrBehindChangesNothing() {
        long serveNow = System.currentTimeMillis();
        for (long topologyNow : new long[] {serveNow + HOUR, serveNow - HOUR}) {
            TickGate g = new TickGate(600, 5);
            assertEquals(List.of(DELIVER, BEHIND, REPEAT, DELIVER), List.of(g.admit(topologyNow),
                    g.admit(topologyNow - 500), g.admit(topologyNow), g.admit(topologyNow + 1000)));
        }
    }

    @Test
    @DisplayName("a far-future tick is shown once; the ticks that go on from the old line are skipped until the fifth in a row, which the watermark then follows")
    void aFarFutureTickIsShownOnceAndTheWatermarkFollowsTheTopologyAfterFiveTicks() {
        assertEquals(List.of(DELIVER, DELIVER), admit(T0, YEAR_2100));
        assertEquals(List.of(BEHIND, BEHIND, BEHIND, BEHIND, DELIVER),
                admit(T0 + 1000, T0 + 2000, T0 + 3000, T0 + 4000, T0 + 5000));
        assertEquals(List.of(DELIVER, REPEAT, BEHIND, DELIVER),
                admit(T0 + 6000, YEAR_2100, T0 + 5500, T0 + 7000));
    }

    @Test
    @DisplayName("a run behind the watermark that goes back on itself starts again: a stray late tick never moves the watermark")
    void aRunBehindTheWatermarkMustContinueItself() {
        assertEquals(List.of(DELIVER, DELIVER), admit(T0, YEAR_2100));
        assertEquals(List.of(BEHIND, BEHIND, BEHIND, BEHIND), admit(T0 + 1000, T0 + 2000, T0 + 3000, T0 + 4000));
        assertEquals(List.of(BEHIND), admit(T0 + 500)); // goes back on the run: the run starts again from it
        assertEquals(List.of(BEHIND, BEHIND, BEHIND, DELIVER, DELIVER),
                admit(T0 + 5000, T0 + 6000, T0 + 7000, T0 + 8000, T0 + 9000));
    }

    @Test
    @DisplayName("a far-future tick read first (serve starting) silences nothing for more than five ticks")
    void aFarFutureFirstTickIsFollowedPastAfterFiveTicks() {
        assertEquals(List.of(DELIVER, BEHIND, BEHIND, BEHIND, BEHIND, DELIVER, DELIVER),
                admit(YEAR_2100, T0, T0 + 1000, T0 + 2000, T0 + 3000, T0 + 4000, T0 + 5000));
    }

    @Test
    @DisplayName("ticks that jump ahead (a topology back after an outage) are delivered and move the watermark at once")
    void aJumpAheadMovesTheWatermark() {
        assertEquals(List.of(DELIVER, DELIVER, BEHIND, DELIVER), admit(T0, T0 + HOUR, T0 + 1000, T0 + HOUR + 1000));
    }
}
