package dev.llmmeter.contract;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecentTicksTest {
    @Test
    void recentTicksForgetsTheOldestBeyondItsCapacity() {
        RecentTicks ticks = new RecentTicks(3);
        assertTrue(ticks.firstTime(1));
        assertTrue(ticks.firstTime(2));
        assertTrue(ticks.firstTime(3));
        assertFalse(ticks.firstTime(1));
        assertTrue(ticks.firstTime(4)); // 1 leaves
        assertTrue(ticks.firstTime(1), "beyond the capacity a tick is no longer recent");
        assertFalse(ticks.firstTime(4));
        assertTrue(ticks.contains(4));
        assertFalse(ticks.contains(2), "2 left with 1's return");
    }
}
