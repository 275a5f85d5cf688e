package dev.llmmeter.topology.state;

import dev.llmmeter.topology.insights.GroupPart;
import dev.llmmeter.topology.insights.LatencySketch;
import dev.llmmeter.topology.insights.SloCounts;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PartialSerdeTest {
    private final PartialSerde serde = new PartialSerde();

    @Test
    void theStatsPartAloneIsTheOldLayoutByteForByte() {
        byte[] v1 = ByteBuffer.allocate(30).put((byte) 1).putLong(5000).putDouble(12.5).putInt(2).putLong(3).put((byte) 1).array();
        assertArrayEquals(v1, serde.serialize("", new Partial(5000, 12.5, 2, 3, true)));
        assertEquals(new Partial(5000, 12.5, 2, 3, true), serde.deserialize("", v1));
    }

    @Test
    void groupsRoundTripWithTheirSketches() {
        LatencySketch ttft = new LatencySketch();
        ttft.add(250);
        ttft.add(400);
        LatencySketch itl = new LatencySketch();
        for (int i = 1; i <= 100; i++) {
            itl.add(i * 3L);
        }
        Map<String, GroupPart> groups = new LinkedHashMap<>();
        LatencySketch tpot = new LatencySketch();
        tpot.add(37.5);
        groups.put("global", new GroupPart(3, 40.0, 2, 120, 1, 0, ttft, itl, tpot));
        groups.put("model:m", new GroupPart(1, 0.0, 0, 0, 0, 1, new LatencySketch(), new LatencySketch(), new LatencySketch()));
        Partial back = serde.deserialize("", serde.serialize("", new Partial(5000, 40.0, 2, 3, true, groups)));
        assertEquals(new Partial(5000, 40.0, 2, 3, true), back.statsPart());
        assertEquals(java.util.List.of("global", "model:m"), java.util.List.copyOf(back.groups().keySet()));
        GroupPart g = back.groups().get("global");
        assertEquals(java.util.List.of(3L, 40.0, 2, 120L, 1, 0), java.util.List.of(g.active(), g.tpsSum(), g.tpsCount(), g.tokens(), g.started(), g.ended()));
        assertEquals(ttft.percentiles(), g.ttft().percentiles());
        assertEquals(itl.percentiles(), g.itl().percentiles());
        assertEquals(tpot.percentiles(), g.tpot().percentiles());
        assertEquals(1, g.tpot().count());
        assertTrue(back.groups().get("model:m").ttft().isEmpty());
        assertTrue(back.groups().get("model:m").tpot().isEmpty());
    }

    /** The second layout's bytes, as the versions before time per output token wrote them: they read with none. */
    @Test
    void aPartialInTheSecondLayoutReadsFromItsBytesWithNoTimePerOutputToken() {
        LatencySketch ttft = new LatencySketch();
        ttft.add(250);
        byte[] t = ttft.encode();
        byte[] key = "global".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] v2 = ByteBuffer.allocate(30 + 4 + 2 + key.length + 36 + 4 + t.length + 4)
                .put((byte) 2).putLong(5000).putDouble(12.5).putInt(1).putLong(1).put((byte) 1)
                .putInt(1).putShort((short) key.length).put(key)
                .putLong(1).putDouble(12.5).putInt(1).putInt(1).putInt(0).putLong(9).putInt(t.length).put(t)
                .putInt(0).array();
        Partial back = serde.deserialize("", v2);
        GroupPart g = back.groups().get("global");
        assertEquals(java.util.List.of(1L, 12.5, 1, 9L, 1, 0), java.util.List.of(g.active(), g.tpsSum(), g.tpsCount(), g.tokens(), g.started(), g.ended()));
        assertEquals(ttft.percentiles(), g.ttft().percentiles());
        assertTrue(g.itl().isEmpty());
        assertTrue(g.tpot().isEmpty());
        assertEquals(4, serde.serialize("", back)[0], "written back in the fourth layout");
    }

    /** The third layout's bytes, as the versions before the service level objectives wrote them: none judged. */
    @Test
    void aPartialInTheThirdLayoutReadsFromItsBytesWithNoServiceLevelCounts() {
        LatencySketch tpot = new LatencySketch();
        tpot.add(37.5);
        byte[] t = tpot.encode();
        byte[] key = "model:m".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] v3 = ByteBuffer.allocate(30 + 4 + 2 + key.length + 36 + 4 + 4 + 4 + t.length)
                .put((byte) 3).putLong(5000).putDouble(0).putInt(0).putLong(0).put((byte) 0)
                .putInt(1).putShort((short) key.length).put(key)
                .putLong(0).putDouble(0).putInt(0).putInt(0).putInt(1).putLong(0).putInt(0).putInt(0).putInt(t.length).put(t)
                .array();
        GroupPart g = serde.deserialize("", v3).groups().get("model:m");
        assertEquals(1, g.ended());
        assertEquals(tpot.percentiles(), g.tpot().percentiles());
        assertEquals(new SloCounts(), g.slo());
    }

    @Test
    void serviceLevelCountsRoundTripAndAGroupWithoutThemTakesOneByte() {
        Map<String, GroupPart> groups = new LinkedHashMap<>();
        groups.put("global", new GroupPart(0, 0, 0, 0, 0, 3, new LatencySketch(), new LatencySketch(), new LatencySketch(),
                new SloCounts(3, 3, 2, 2, 1, 1, 5_000_000_000L)));
        groups.put("model:m", new GroupPart(1, 0, 0, 0, 0, 0, new LatencySketch(), new LatencySketch(), new LatencySketch()));
        byte[] bytes = serde.serialize("", new Partial(5000, 0, 0, 1, false, groups));
        Partial back = serde.deserialize("", bytes);
        assertEquals(new SloCounts(3, 3, 2, 2, 1, 1, 5_000_000_000L), back.groups().get("global").slo());
        assertEquals(new SloCounts(), back.groups().get("model:m").slo());
        byte[] empty = new LatencySketch().encode();
        int group = 36 + 3 * (4 + empty.length);
        assertEquals(30 + 4 + (2 + 6 + group + PartialSerde.SLO_BYTES) + (2 + 7 + group + 1), bytes.length);
    }

    @Test
    void aPartialsSizeIsBoundedByTheLabelBound() {
        // a worst case per group: every bin of the three sketches taken, the longest key
        LatencySketch full = new LatencySketch();
        for (double v = 1; v <= LatencySketch.MAX_MS; v *= 1.002) {
            full.add((long) v);
        }
        full.add(0);
        Map<String, GroupPart> groups = new LinkedHashMap<>();
        for (int i = 0; i < 3; i++) {
            groups.put("tenant:" + "\uD83D\uDE00".repeat(255) + i, new GroupPart(1, 1, 1, 1, 1, 1, full, full, full,
                    new SloCounts(1, 1, 1, 1, 1, 1, 1)));
        }
        int size = serde.serialize("", new Partial(0, 0, 0, 0, false, groups)).length;
        assertTrue(size <= PartialSerde.V1_SIZE + 4 + 3 * PartialSerde.MAX_GROUP_BYTES, size + " bytes");
        assertEquals(30 + 4 + 203 * PartialSerde.MAX_GROUP_BYTES, PartialSerde.maxBytes(100));
    }
}
