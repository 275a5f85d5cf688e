package dev.llmmeter.contract;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class OutputCodecsTest {

    @Test
    void streamRecordHasTheIssuesFieldsInOrderWithNullsWrittenOut() {
        StreamStatus s = new StreamStatus("s1", "m", null, StreamStatus.State.ACTIVE, null, 3, 0, 250L, 0L, 1000, 2000);
        String json = new String(OutputCodecs.encode(s), StandardCharsets.UTF_8);
        assertEquals("{\"stream_id\":\"s1\",\"model\":\"m\",\"tenant\":null,\"state\":\"active\",\"tps\":null,\"output\":3,"
                + "\"reasoning\":0,\"ttft_ms\":250,\"decode_ms\":0,\"begin_ts\":1000,\"ts\":2000}", json);
        assertEquals(s, OutputCodecs.decodeStreamStatus(OutputCodecs.encode(s)));
        assertNull(OutputCodecs.decodeStreamStatus(null));
    }

    @Test
    void insightsRecordHasTheIssuesFieldsInOrder() {
        Insight i = new Insight(3000, Insight.Group.MODEL, "m", 2, 12.5, 30.1,
                new Insight.Percentiles(250.0, 400.0, 410.0, 3), null, 2, 1);
        String json = new String(OutputCodecs.encode(i), StandardCharsets.UTF_8);
        assertEquals("{\"ts\":3000,\"group\":\"model\",\"name\":\"m\",\"active\":2,\"tps\":12.5,\"system_tps\":30.1,"
                + "\"ttft_ms\":{\"p50\":250.0,\"p90\":400.0,\"p99\":410.0,\"count\":3},\"itl_ms\":null,\"started\":2,\"ended\":1}", json);
        assertEquals(i, OutputCodecs.decodeInsight(OutputCodecs.encode(i)));
        assertEquals("model:m", i.key());
        assertEquals("global", new Insight(0, Insight.Group.GLOBAL, null, 0, null, 0, null, null, 0, 0).key());
    }
}
