package dev.llmmeter.serve;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static dev.llmmeter.serve.Records.T0;
import static dev.llmmeter.serve.TickGate.Verdict.BEHIND;
import static dev.llmmeter.serve.TickGate.Verdict.DELIVER;
import static dev.llmmeter.serve.TickGate.Verdict.REPEAT;
import static org.junit.jupiter.api.Assertions.assertEquals;

class TickGateTest {
    private final AtomicLong clock = new AtomicLong(T0);
    private final TickGate gate = new TickGate(600, 30_000, clock::get);

    @Test
    @DisplayName("each tick once, in order: a repeat and a tick behind the last one are skipped")
    void repeatsAndOlderTicksSkipped() {
        assertEquals(DELIVER, gate.admit(T0 - 2000));
        assertEquals(DELIVER, gate.admit(T0 - 1000));
        assertEquals(REPEAT, gate.admit(T0 - 1000));
        assertEquals(BEHIND, gate.admit(T0 - 1500));
        assertEquals(DELIVER, gate.admit(T0));
    }

    @Test
    @DisplayName("one far-future tick is shown once but silences nothing: the next genuine ticks pass")
    void farFutureTickSilencesNothing() {
        long year2100 = 4_102_444_800_000L;
        assertEquals(DELIVER, gate.admit(T0));
        assertEquals(DELIVER, gate.admit(year2100));
        assertEquals(DELIVER, gate.admit(T0 + 1000));
        assertEquals(REPEAT, gate.admit(year2100));
        assertEquals(BEHIND, gate.admit(T0 + 500));
        clock.set(T0 + 2000);
        assertEquals(DELIVER, gate.admit(T0 + 2000));
    }

    @Test
    @DisplayName("a tick up to 30 s ahead of this server's clock moves the watermark (clocks differ a little)")
    void slightlyAheadIsNormal() {
        assertEquals(DELIVER, gate.admit(T0 + 30_000));
        assertEquals(BEHIND, gate.admit(T0 + 29_000));
    }
}
