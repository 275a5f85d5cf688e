package dev.llmmeter.contract;

import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class WireJsonTest {
    private static final WireJson<Stats> STATS = WireJson.of(Stats.class);
    private static final WireJson<StreamStatus> STREAMS = WireJson.of(StreamStatus.class);
    private static final WireJson<Insight> INSIGHTS = WireJson.of(Insight.class);

    private static String json(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("stats: the seed's payload in the seed's order, then the tick")
    void statsFieldsInTheSeedsOrderThenTheTick() {
        Stats s = new Stats(47.3, true, false, 52.1, 31.4, 1, 1790000001000L);
        assertEquals("{\"tps\":47.3,\"tps_available\":true,\"estimated\":false,\"high\":52.1,\"low\":31.4,\"active\":1,\"ts\":1790000001000}",
                json(STATS.encode(s)));
    }

    @Test
    void absentValuesAreWrittenAsNull() {
        Stats s = new Stats(null, false, false, null, null, 0, 1790000001000L);
        assertEquals("{\"tps\":null,\"tps_available\":false,\"estimated\":false,\"high\":null,\"low\":null,\"active\":0,\"ts\":1790000001000}",
                json(STATS.encode(s)));
    }

    /** As the seed's json.dumps prints them: Python's repr of a float (expected values from python3). */
    @Test
    void doublesArePrintedAsPythonPrintsThem() {
        Stats s = new Stats(4.500326180257511e21, true, false, 1.0e16, 12345678.9, 2, 1790000001000L);
        assertEquals("{\"tps\":4.500326180257511e+21,\"tps_available\":true,\"estimated\":false,\"high\":1e+16,"
                        + "\"low\":12345678.9,\"active\":2,\"ts\":1790000001000}",
                json(STATS.encode(s)));
        Insight i = new Insight(0, Insight.Group.GLOBAL, null, 0, 0.1, 1.0e-5, new Insight.Percentiles(1.0, 2.5, 1e22, 1), null, null, 0, 0);
        assertEquals("{\"ts\":0,\"group\":\"global\",\"name\":null,\"active\":0,\"tps\":0.1,\"system_tps\":1e-05,"
                + "\"ttft_ms\":{\"p50\":1.0,\"p90\":2.5,\"p99\":1e+22,\"count\":1},\"itl_ms\":null,\"tpot_ms\":null,\"started\":0,\"ended\":0}", json(INSIGHTS.encode(i)));
    }

    @Test
    void streamRecordHasItsFieldsInOrderWithNullsWrittenOut() {
        StreamStatus s = new StreamStatus("s1", "m", null, StreamStatus.State.ACTIVE, null, 3, 0, 250L, 0L, 1000, 2000);
        assertEquals("{\"stream_id\":\"s1\",\"model\":\"m\",\"tenant\":null,\"state\":\"active\",\"tps\":null,\"output\":3,"
                + "\"reasoning\":0,\"ttft_ms\":250,\"decode_ms\":0,\"begin_ts\":1000,\"ts\":2000,\"tpot_ms\":null,\"input\":null}",
                json(STREAMS.encode(s)));
    }

    @Test
    void anEndedStreamRecordCarriesItsTimePerOutputTokenAndInputTokens() {
        StreamStatus s = new StreamStatus("s1", "m", "acme", StreamStatus.State.ENDED, 6.0, 3, 0, 100L, 500L, 1000, 2000, 125.0, 1200L);
        String wire = "{\"stream_id\":\"s1\",\"model\":\"m\",\"tenant\":\"acme\",\"state\":\"ended\",\"tps\":6.0,\"output\":3,"
                + "\"reasoning\":0,\"ttft_ms\":100,\"decode_ms\":500,\"begin_ts\":1000,\"ts\":2000,\"tpot_ms\":125.0,\"input\":1200}";
        assertEquals(wire, json(STREAMS.encode(s)));
        assertEquals(s, STREAMS.decode(wire.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @Test
    void aStreamRecordWrittenBeforeTpotAndInputReadsWithThemNull() {
        String before = "{\"stream_id\":\"s1\",\"model\":\"m\",\"tenant\":\"acme\",\"state\":\"ended\",\"tps\":6.0,\"output\":3,"
                + "\"reasoning\":0,\"ttft_ms\":100,\"decode_ms\":500,\"begin_ts\":1000,\"ts\":2000}";
        assertEquals(new StreamStatus("s1", "m", "acme", StreamStatus.State.ENDED, 6.0, 3, 0, 100L, 500L, 1000, 2000, null, null),
                STREAMS.decode(before.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @Test
    void insightsRecordHasItsFieldsInOrder() {
        Insight i = new Insight(3000, Insight.Group.MODEL, "m", 2, 12.5, 30.1,
                new Insight.Percentiles(250.0, 400.0, 410.0, 3), null, null, 2, 1);
        assertEquals("{\"ts\":3000,\"group\":\"model\",\"name\":\"m\",\"active\":2,\"tps\":12.5,\"system_tps\":30.1,"
                + "\"ttft_ms\":{\"p50\":250.0,\"p90\":400.0,\"p99\":410.0,\"count\":3},\"itl_ms\":null,\"tpot_ms\":null,\"started\":2,\"ended\":1}",
                json(INSIGHTS.encode(i)));
        assertEquals("model:m", i.key());
        assertEquals("global", new Insight(0, Insight.Group.GLOBAL, null, 0, null, 0, null, null, null, 0, 0).key());
    }

    @Test
    void eachRecordReadsBackAsWritten() {
        Stats a = new Stats(47.3, true, false, 52.1, 31.4, 3, 1790000001000L);
        Stats b = new Stats(null, false, false, null, null, 0, 1790000002000L);
        StreamStatus s = new StreamStatus("s1", null, "t", StreamStatus.State.EXPIRED, 12.3, 3, 4, null, null, 1000, 2000);
        Insight i = new Insight(3000, Insight.Group.TENANT, "t", 2, null, 30.1, null,
                new Insight.Percentiles(25.0, 40.0, 41.0, 9), new Insight.Percentiles(37.5, 40.0, 41.0, 4), 2, 1);
        assertEquals(a, STATS.decode(STATS.encode(a)));
        assertEquals(b, STATS.decode(STATS.encode(b)));
        assertEquals(s, STREAMS.decode(STREAMS.encode(s)));
        assertEquals(i, INSIGHTS.decode(INSIGHTS.encode(i)));
    }

    @Test
    void anInsightWrittenBeforeTimePerOutputTokenReadsWithItNull() {
        Insight i = INSIGHTS.decode(bytes("{\"ts\":3000,\"group\":\"model\",\"name\":\"m\",\"active\":2,\"tps\":12.5,"
                + "\"system_tps\":30.1,\"ttft_ms\":{\"p50\":250.0,\"p90\":400.0,\"p99\":410.0,\"count\":3},\"itl_ms\":null,"
                + "\"started\":2,\"ended\":1}"));
        assertEquals(new Insight(3000, Insight.Group.MODEL, "m", 2, 12.5, 30.1,
                new Insight.Percentiles(250.0, 400.0, 410.0, 3), null, null, 2, 1), i);
    }

    @Test
    void anInsightWithoutServiceLevelFiguresHasNoSloFieldAndReadsWithItNull() {
        Insight i = new Insight(3000, Insight.Group.GLOBAL, null, 0, null, 0, null, null, null, 0, 0);
        assertEquals(false, json(INSIGHTS.encode(i)).contains("slo"));
        assertNull(INSIGHTS.decode(INSIGHTS.encode(i)).slo());
    }

    @Test
    void anInsightWithServiceLevelFiguresWritesThemInOrderAndReadsThemBack() {
        Insight.Attainment minute = new Insight.Attainment(3, 3, 2, 2, 2, 2, 2 / 3.0, 1.0, 2 / 3.0, 2 / 60.0, 40 / 60.0);
        Insight.Attainment hour = new Insight.Attainment(0, 0, 0, 0, 0, 0, null, null, null, 0.0, 0.0);
        Insight i = new Insight(3000, Insight.Group.MODEL, "m", 0, null, 0, null, null, null, 0, 3,
                new Insight.Slo(500.0, null, 0.99, minute, hour));
        assertEquals("{\"ts\":3000,\"group\":\"model\",\"name\":\"m\",\"active\":0,\"tps\":null,\"system_tps\":0.0,"
                + "\"ttft_ms\":null,\"itl_ms\":null,\"tpot_ms\":null,\"started\":0,\"ended\":3,\"slo\":{\"ttft_objective_ms\":500.0,"
                + "\"tpot_objective_ms\":null,\"target\":0.99,\"last_minute\":{\"streams\":3,\"ttft_streams\":3,\"ttft_met\":2,\"tpot_streams\":2,"
                + "\"tpot_met\":2,\"met\":2,\"ttft\":0.6666666666666666,\"tpot\":1.0,\"all\":0.6666666666666666,"
                + "\"goodput_streams_per_second\":0.03333333333333333,\"goodput_tokens_per_second\":0.6666666666666666},"
                + "\"last_hour\":{\"streams\":0,\"ttft_streams\":0,\"ttft_met\":0,\"tpot_streams\":0,\"tpot_met\":0,\"met\":0,"
                + "\"ttft\":null,\"tpot\":null,\"all\":null,\"goodput_streams_per_second\":0.0,\"goodput_tokens_per_second\":0.0}}}",
                json(INSIGHTS.encode(i)));
        assertEquals(i, INSIGHTS.decode(INSIGHTS.encode(i)));
    }

    @Test
    void anInsightLackingAnyOtherFieldIsStillRefusedNamingIt() {
        SerializationException e = assertThrows(SerializationException.class, () -> INSIGHTS.decode(bytes(
                "{\"ts\":3000,\"group\":\"model\",\"name\":\"m\",\"active\":2,\"tps\":12.5,\"system_tps\":30.1,"
                        + "\"ttft_ms\":null,\"tpot_ms\":null,\"started\":2,\"ended\":1}")));
        assertEquals(true, e.getMessage().startsWith("not a Insight record: "), e.getMessage());
        assertEquals(true, e.getMessage().contains("'itl_ms'"), e.getMessage());
    }

    @Test
    void aTombstoneIsNullBothWays() {
        assertNull(STREAMS.encode(null));
        assertNull(STREAMS.decode(null));
        assertNull(Topics.STREAMS.serializeValue(null));
    }

    @Test
    void fieldsItDoesNotKnowAreSkipped() {
        Stats s = STATS.decode(bytes("{\"tps\":1.5,\"tps_available\":true,\"estimated\":false,\"high\":2.0,\"low\":1.0,"
                + "\"active\":1,\"ts\":7,\"extra\":{\"a\":[1]}}"));
        assertEquals(new Stats(1.5, true, false, 2.0, 1.0, 1, 7), s);
    }

    @Test
    void aMissingFieldIsASerializationExceptionNamingIt() {
        SerializationException e = assertThrows(SerializationException.class, () -> STATS.decode(bytes(
                "{\"tps\":1.5,\"tps_available\":true,\"estimated\":false,\"high\":2.0,\"low\":1.0,\"ts\":7}")));
        assertEquals(true, e.getMessage().startsWith("not a Stats record: "), e.getMessage());
        assertEquals(true, e.getMessage().contains("'active'"), e.getMessage());
    }

    @Test
    void aNullForANumberThatCannotBeAbsentIsRefused() {
        SerializationException e = assertThrows(SerializationException.class, () -> STATS.decode(bytes(
                "{\"tps\":1.5,\"tps_available\":true,\"estimated\":false,\"high\":2.0,\"low\":1.0,\"active\":null,\"ts\":7}")));
        assertEquals(true, e.getMessage().startsWith("not a Stats record: "), e.getMessage());
    }

    @Test
    void aFractionWhereTheRecordHoldsAnIntegerIsRefused() {
        assertThrows(SerializationException.class, () -> STREAMS.decode(bytes("{\"stream_id\":\"s\",\"model\":null,"
                + "\"tenant\":null,\"state\":\"active\",\"tps\":null,\"output\":0,\"reasoning\":0,\"ttft_ms\":1e+16,"
                + "\"decode_ms\":null,\"begin_ts\":0,\"ts\":0}")));
    }

    @Test
    void anUnknownStateOrNotJsonIsRefused() {
        assertThrows(SerializationException.class, () -> STREAMS.decode(bytes("{\"stream_id\":\"s\",\"model\":null,"
                + "\"tenant\":null,\"state\":\"paused\",\"tps\":null,\"output\":0,\"reasoning\":0,\"ttft_ms\":null,"
                + "\"decode_ms\":null,\"begin_ts\":0,\"ts\":0}")));
        assertThrows(SerializationException.class, () -> INSIGHTS.decode(bytes("not json")));
    }
}
