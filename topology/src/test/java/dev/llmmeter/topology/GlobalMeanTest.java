package dev.llmmeter.topology;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The seed's global tps, in its two stages. */
class GlobalMeanTest {
    @Test
    void onlyStreamRatesAboveZeroCount() {
        GlobalMean m = new GlobalMean();
        m.addStream(Double.NaN); // one delta time only: no rate (the seed's None)
        m.addStream(0.0);
        m.addStream(10.0);
        m.addStream(30.0);
        assertEquals(40.0, m.sum());
        assertEquals(2, m.count());
        assertEquals(20.0, m.value());
    }

    @Test
    void withoutAnyRateTheMeanIsNone() {
        GlobalMean m = new GlobalMean();
        m.addStream(Double.NaN);
        assertEquals(Double.NaN, m.value());
    }

    @Test
    void partsAreCombinedAsOneMeanOverAllStreamsNotAMeanOfMeans() {
        GlobalMean m = new GlobalMean();
        m.addPart(30.0, 1);        // a task with one stream at 30/s
        m.addPart(10.0 + 20.0, 2); // a task with streams at 10 and 20/s
        assertEquals(20.0, m.value()); // a mean of the tasks' means would be 22.5
    }
}
