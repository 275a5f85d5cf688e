package dev.llmmeter.contract;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class StatsCodecTest {
    @Test
    void encodesTheSeedPayloadPlusTickTimeInOrder() {
        Stats s = new Stats(47.3, true, false, 52.1, 31.4, 1, 1790000001000L);
        assertEquals("{\"tps\":47.3,\"tps_available\":true,\"estimated\":false,\"high\":52.1,\"low\":31.4,\"active\":1,\"ts\":1790000001000}",
                new String(StatsCodec.encode(s), StandardCharsets.UTF_8));
    }

    @Test
    void encodesNoneAsNull() {
        Stats s = new Stats(null, false, false, null, null, 0, 1790000001000L);
        assertEquals("{\"tps\":null,\"tps_available\":false,\"estimated\":false,\"high\":null,\"low\":null,\"active\":0,\"ts\":1790000001000}",
                new String(StatsCodec.encode(s), StandardCharsets.UTF_8));
    }

    /** As the seed's json.dumps prints them: Python's repr of a float (expected values from python3). */
    @Test
    void largeRatesArePrintedAsPythonPrintsThem() {
        Stats s = new Stats(4.500326180257511e21, true, false, 1.0e16, 12345678.9, 2, 1790000001000L);
        assertEquals("{\"tps\":4.500326180257511e+21,\"tps_available\":true,\"estimated\":false,\"high\":1e+16,"
                        + "\"low\":12345678.9,\"active\":2,\"ts\":1790000001000}",
                new String(StatsCodec.encode(s), StandardCharsets.UTF_8));
    }

    @Test
    void decodeInvertsEncode() {
        Stats a = new Stats(47.3, true, false, 52.1, 31.4, 3, 1790000001000L);
        Stats b = new Stats(null, false, false, null, null, 0, 1790000002000L);
        assertEquals(a, StatsCodec.decode(StatsCodec.encode(a)));
        assertEquals(b, StatsCodec.decode(StatsCodec.encode(b)));
        assertNull(StatsCodec.decode(null));
    }
}
