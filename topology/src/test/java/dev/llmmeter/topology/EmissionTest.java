package dev.llmmeter.topology;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The seed's ticker: a stats record at every tick while streams are active, one more when they stop, then none. */
class EmissionTest {
    @Test
    void aStatsRecordIsDueWhileActiveAndOnceAfter() {
        assertTrue(Emission.due(true, false));
        assertTrue(Emission.due(true, true));
        assertTrue(Emission.due(false, true)); // the one idle record
        assertFalse(Emission.due(false, false));
    }
}
