package dev.llmmeter.contract;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class TopicTest {
    @Test
    void theTopicsHaveTheirDocumentedNames() {
        assertEquals("metering.deltas", Topics.DELTAS.name());
        assertEquals("metering.stats", Topics.STATS.name());
        assertEquals("metering.streams", Topics.STREAMS.name());
        assertEquals("metering.insights", Topics.INSIGHTS.name());
        assertEquals("metering.usage", Topics.USAGE.name());
        assertEquals("metering.deltas.dlq", Topics.DEAD_LETTERS.name());
        assertEquals("global", Topics.STATS_KEY);
    }

    @Test
    void namedKeepsTheSerdesUnderTheConfiguredName() {
        Topic<String, Stats> renamed = Topics.STATS.named("prod.stats");
        assertEquals("prod.stats", renamed.name());
        assertSame(Topics.STATS.keySerde(), renamed.keySerde());
        assertSame(Topics.STATS.valueSerde(), renamed.valueSerde());
        assertSame(Topics.STATS, Topics.STATS.named("metering.stats"));
    }

    @Test
    void valuesGoThroughTheTopicsSerde() {
        Stats s = new Stats(1.5, true, false, 2.0, 1.0, 1, 7);
        byte[] bytes = Topics.STATS.serializeValue(s);
        assertEquals("{\"tps\":1.5,\"tps_available\":true,\"estimated\":false,\"high\":2.0,\"low\":1.0,\"active\":1,\"ts\":7}",
                new String(bytes, StandardCharsets.UTF_8));
        assertEquals(s, Topics.STATS.named("x").deserializeValue(bytes));
        assertEquals("s1", Topics.DELTAS.keySerde().deserializer().deserialize("t", "s1".getBytes(StandardCharsets.UTF_8)));
    }
}
