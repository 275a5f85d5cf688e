package dev.llmmeter.topology.state;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SessionTest {
    static final long T0 = 1_790_000_000_000L;

    @Test
    void aBeginNeverFedExpiresAtTheFirstTickMoreThanTheExpiryAfterItWasReceived() {
        Session received417 = Session.begun(T0, T0 + 417);
        assertEquals(T0 + 601_000, Session.beginExpiryTick(T0 + 417, 600_000));
        assertFalse(received417.isBeginExpired(T0 + 600_000, 600_000));
        assertTrue(received417.isBeginExpired(T0 + 601_000, 600_000));

        Session receivedOnTheSecond = Session.begun(T0, T0);
        assertEquals(T0 + 601_000, Session.beginExpiryTick(T0, 600_000), "exactly 600 s after is not yet more than 600 s");
        assertFalse(receivedOnTheSecond.isBeginExpired(T0 + 600_000, 600_000));
        assertTrue(receivedOnTheSecond.isBeginExpired(T0 + 601_000, 600_000));
    }

    @Test
    void aBeginExpiryPastTheEndOfTimeIsNever() {
        assertEquals(Long.MAX_VALUE, Session.beginExpiryTick(T0, Long.MAX_VALUE - 1));
    }
}
