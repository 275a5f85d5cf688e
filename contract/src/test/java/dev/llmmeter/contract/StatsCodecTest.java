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

    @Test
    void decodeInvertsEncode() {
        Stats a = new Stats(47.3, true, false, 52.1, 31.4, 3, 1790000001000L);
        Stats b = new Stats(null, false, false, null, null, 0, 1790000002000L);
        assertEquals(a, StatsCodec.decode(StatsCodec.encode(a)));
        assertEquals(b, StatsCodec.decode(StatsCodec.encode(b)));
        assertNull(StatsCodec.decode(null));
    }
}
