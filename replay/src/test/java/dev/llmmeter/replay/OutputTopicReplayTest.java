package dev.llmmeter.replay;

import dev.llmmeter.topology.MeteringConfig;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The replay prints the topic asked for: the stats by default, or the insights, or the per-stream records. */
class OutputTopicReplayTest {
    static final long T0 = ReplayerTest.T0;

    /**
     * Two streams of two models for one tenant: s1 (m1) begins at T0, deltas at +200 (2 tokens) and +700 (6),
     * ends at +1800; s2 (m2) begins at +300, deltas at +500 (1) and +1500 (4), never ends.
     */
    static final String TRACE = String.join("\n",
            "{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":" + T0 + ",\"model\":\"m1\",\"tenant\":\"t1\"}",
            "{\"type\":\"output\",\"stream_id\":\"s1\",\"ts\":" + (T0 + 200) + ",\"running\":2}",
            "{\"type\":\"begin\",\"stream_id\":\"s2\",\"ts\":" + (T0 + 300) + ",\"model\":\"m2\",\"tenant\":\"t1\"}",
            "{\"type\":\"output\",\"stream_id\":\"s2\",\"ts\":" + (T0 + 500) + ",\"running\":1}",
            "{\"type\":\"output\",\"stream_id\":\"s1\",\"ts\":" + (T0 + 700) + ",\"running\":6}",
            "{\"type\":\"output\",\"stream_id\":\"s2\",\"ts\":" + (T0 + 1500) + ",\"running\":4}",
            "{\"type\":\"end\",\"stream_id\":\"s1\",\"ts\":" + (T0 + 1800) + ",\"final_output_tokens\":6,\"input_tokens\":10}",
            "");

    static List<String> replay(MeteringConfig config, String topic, String trace, long tailSeconds) throws Exception {
        List<String> out = new ArrayList<>();
        new Replayer(config, Duration.ofSeconds(tailSeconds), topic)
                .replay(new ByteArrayInputStream(trace.getBytes(StandardCharsets.UTF_8)), out::add, d -> { });
        return out;
    }

    @Test
    void theStatsTopicIsTheDefaultAndPrintsTheSameLinesAsWithoutTheOption() throws Exception {
        List<String> byDefault = new ArrayList<>();
        new Replayer(MeteringConfig.defaults(), Duration.ofSeconds(3))
                .replay(new ByteArrayInputStream(TRACE.getBytes(StandardCharsets.UTF_8)), byDefault::add, d -> { });
        assertEquals(byDefault, replay(MeteringConfig.defaults(), "metering.stats", TRACE, 3));
        assertEquals(List.of(
                "{\"tps\":12.0,\"tps_available\":true,\"estimated\":false,\"high\":12.0,\"low\":12.0,\"active\":2,\"ts\":1790000001000}",
                "{\"tps\":4.0,\"tps_available\":true,\"estimated\":false,\"high\":12.0,\"low\":4.0,\"active\":1,\"ts\":1790000002000}",
                "{\"tps\":4.0,\"tps_available\":true,\"estimated\":false,\"high\":12.0,\"low\":4.0,\"active\":1,\"ts\":1790000003000}",
                "{\"tps\":4.0,\"tps_available\":true,\"estimated\":false,\"high\":12.0,\"low\":4.0,\"active\":1,\"ts\":1790000004000}",
                "{\"tps\":4.0,\"tps_available\":true,\"estimated\":false,\"high\":12.0,\"low\":4.0,\"active\":1,\"ts\":1790000005000}"),
                byDefault);
    }

    /**
     * Both TTFTs are 200 ms and the gaps 500 ms (s1) and 1000 ms (s2): the sketch gives them within its 0.5%
     * (200.8, 499.9, 999.7); a percentile is the sorted values' element at floor(q x (count - 1)), so the p99 of the
     * two gaps is the lower one. system_tps is the tokens applied in the last 10 s over 10: 6 + 1, then 6 + 4.
     */
    @Test
    void theInsightsTopicPrintsEachGroupsRecordAsPublished() throws Exception {
        assertEquals(List.of(
                "{\"ts\":1790000001000,\"group\":\"global\",\"name\":null,\"active\":2,\"tps\":12.0,\"system_tps\":0.7,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":2},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"started\":2,\"ended\":0}",
                "{\"ts\":1790000001000,\"group\":\"model\",\"name\":\"m1\",\"active\":1,\"tps\":12.0,\"system_tps\":0.6,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"started\":1,\"ended\":0}",
                "{\"ts\":1790000001000,\"group\":\"model\",\"name\":\"m2\",\"active\":1,\"tps\":null,\"system_tps\":0.1,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":null,\"started\":1,\"ended\":0}",
                "{\"ts\":1790000001000,\"group\":\"tenant\",\"name\":\"t1\",\"active\":2,\"tps\":12.0,\"system_tps\":0.7,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":2},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"started\":2,\"ended\":0}",
                "{\"ts\":1790000002000,\"group\":\"global\",\"name\":null,\"active\":1,\"tps\":4.0,\"system_tps\":1.0,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":2},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":2},\"started\":2,\"ended\":1}",
                "{\"ts\":1790000002000,\"group\":\"model\",\"name\":\"m1\",\"active\":0,\"tps\":null,\"system_tps\":0.6,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"started\":1,\"ended\":1}",
                "{\"ts\":1790000002000,\"group\":\"model\",\"name\":\"m2\",\"active\":1,\"tps\":4.0,\"system_tps\":0.4,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":{\"p50\":999.7,\"p90\":999.7,\"p99\":999.7,\"count\":1},\"started\":1,\"ended\":0}",
                "{\"ts\":1790000002000,\"group\":\"tenant\",\"name\":\"t1\",\"active\":1,\"tps\":4.0,\"system_tps\":1.0,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":2},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":2},\"started\":2,\"ended\":1}"),
                replay(MeteringConfig.defaults(), "metering.insights", TRACE, 0));
    }

    /**
     * After the stats' idle record the insights run down for a minute: an idle stretch is crossed in one step only
     * once neither topic got a record, so the replay prints what ticking every second would. s1 (m1) begins at T0,
     * has deltas at +200 and +1200 and ends at +1500; s2 begins (no model) 200 s later.
     */
    @Test
    void theInsightsRunDownAfterTheStatsIdleRecordIsPrintedWhole() throws Exception {
        String trace = String.join("\n",
                "{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":" + T0 + ",\"model\":\"m1\"}",
                "{\"type\":\"output\",\"stream_id\":\"s1\",\"ts\":" + (T0 + 200) + ",\"running\":2}",
                "{\"type\":\"output\",\"stream_id\":\"s1\",\"ts\":" + (T0 + 1_200) + ",\"running\":5}",
                "{\"type\":\"end\",\"stream_id\":\"s1\",\"ts\":" + (T0 + 1_500) + ",\"final_output_tokens\":5}",
                "{\"type\":\"begin\",\"stream_id\":\"s2\",\"ts\":" + (T0 + 200_000) + "}",
                "");
        List<String> insights = replay(MeteringConfig.defaults(), "metering.insights", trace, 0);
        List<Long> globalTicks = new ArrayList<>();
        for (String line : insights) {
            if (line.contains("\"group\":\"global\"")) {
                globalTicks.add(Long.parseLong(line.substring(line.indexOf("\"ts\":") + 5, line.indexOf(','))));
            }
        }
        List<Long> everySecond = new ArrayList<>();
        for (long k = 1; k <= 62; k++) {
            everySecond.add(T0 + 1_000 * k);
        }
        everySecond.add(T0 + 200_000); // s2's begin
        assertEquals(everySecond, globalTicks, "the stats' idle record at +2 s, the insights' at +62 s (the end left the window)");
        assertEquals(List.of(
                "{\"ts\":1790000062000,\"group\":\"global\",\"name\":null,\"active\":0,\"tps\":null,\"system_tps\":0.0,\"ttft_ms\":null,\"itl_ms\":null,\"started\":0,\"ended\":0}",
                "{\"ts\":1790000062000,\"group\":\"model\",\"name\":\"m1\",\"active\":0,\"tps\":null,\"system_tps\":0.0,\"ttft_ms\":null,\"itl_ms\":null,\"started\":0,\"ended\":0}"),
                insights.stream().filter(line -> line.startsWith("{\"ts\":1790000062000,")).toList());
    }

    /** s1's end publishes its final record at once (dated with the tick that covers it), before the tick's records. */
    @Test
    void theStreamsTopicPrintsEachStreamsRecordsAndTheFinalOneOfAnEndedStream() throws Exception {
        assertEquals(List.of(
                "{\"stream_id\":\"s1\",\"model\":\"m1\",\"tenant\":\"t1\",\"state\":\"active\",\"tps\":12.0,\"output\":6,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":500,\"begin_ts\":1790000000000,\"ts\":1790000001000}",
                "{\"stream_id\":\"s2\",\"model\":\"m2\",\"tenant\":\"t1\",\"state\":\"active\",\"tps\":null,\"output\":1,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":0,\"begin_ts\":1790000000300,\"ts\":1790000001000}",
                "{\"stream_id\":\"s1\",\"model\":\"m1\",\"tenant\":\"t1\",\"state\":\"ended\",\"tps\":12.0,\"output\":6,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":500,\"begin_ts\":1790000000000,\"ts\":1790000002000}",
                "{\"stream_id\":\"s2\",\"model\":\"m2\",\"tenant\":\"t1\",\"state\":\"active\",\"tps\":4.0,\"output\":4,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":1000,\"begin_ts\":1790000000300,\"ts\":1790000002000}"),
                replay(MeteringConfig.defaults(), "metering.streams", TRACE, 2));
    }

    @Test
    void aTombstoneOnTheStreamsTopicPrintsItsKeyAndTickAfterTheRetention() throws Exception {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.STREAMS_RETENTION_MS, "2500"));
        List<String> lines = replay(config, "metering.streams", TRACE, 4);
        assertEquals(List.of(
                "{\"stream_id\":\"s1\",\"model\":\"m1\",\"tenant\":\"t1\",\"state\":\"active\",\"tps\":12.0,\"output\":6,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":500,\"begin_ts\":1790000000000,\"ts\":1790000001000}",
                "{\"stream_id\":\"s2\",\"model\":\"m2\",\"tenant\":\"t1\",\"state\":\"active\",\"tps\":null,\"output\":1,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":0,\"begin_ts\":1790000000300,\"ts\":1790000001000}",
                "{\"stream_id\":\"s1\",\"model\":\"m1\",\"tenant\":\"t1\",\"state\":\"ended\",\"tps\":12.0,\"output\":6,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":500,\"begin_ts\":1790000000000,\"ts\":1790000002000}",
                "{\"stream_id\":\"s2\",\"model\":\"m2\",\"tenant\":\"t1\",\"state\":\"active\",\"tps\":4.0,\"output\":4,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":1000,\"begin_ts\":1790000000300,\"ts\":1790000002000}",
                "{\"stream_id\":\"s1\",\"tombstone\":true,\"ts\":1790000005000}"),
                lines, "s1's final record at 2000 is deleted at the first tick 2.5 s after it");
    }

    @Test
    void aTombstoneDueInAnIdleStretchIsDatedWithTheTickThatDeletesTheRecordLive() throws Exception {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.STREAMS_RETENTION_MS, "10000"));
        String trace = String.join("\n",
                "{\"type\":\"begin\",\"stream_id\":\"a\",\"ts\":" + T0 + "}",
                "{\"type\":\"output\",\"stream_id\":\"a\",\"ts\":" + (T0 + 100) + ",\"running\":1}",
                "{\"type\":\"end\",\"stream_id\":\"a\",\"ts\":" + (T0 + 200) + ",\"final_output_tokens\":1,\"input_tokens\":1}",
                "{\"type\":\"begin\",\"stream_id\":\"b\",\"ts\":" + (T0 + 3_600_000) + "}",
                "");
        assertEquals(List.of(
                "{\"stream_id\":\"a\",\"model\":null,\"tenant\":null,\"state\":\"ended\",\"tps\":null,\"output\":1,\"reasoning\":0,\"ttft_ms\":100,\"decode_ms\":0,\"begin_ts\":1790000000000,\"ts\":1790000001000}",
                "{\"stream_id\":\"a\",\"tombstone\":true,\"ts\":1790000011000}"),
                replay(config, "metering.streams", trace, 0), "the tombstone 10 s after the final record, not at the jump's end");
    }

    /**
     * s1 is begun and never fed, then 15 minutes pass in silence (no stats record: nothing had a delta) until s2's
     * begin. Live, s1 expires at the first tick more than 600 s after its begin was received, T0 + 601 s, and its
     * tombstone follows the default hour later; s2 expires 600 s after its own begin, inside the tail.
     */
    @Test
    void aBeginExpiringInAnIdleStretchIsDatedWithTheTickThatExpiresItLiveAndSoIsItsTombstone() throws Exception {
        String trace = String.join("\n",
                "{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":" + T0 + "}",
                "{\"type\":\"begin\",\"stream_id\":\"s2\",\"ts\":" + (T0 + 900_000) + "}",
                "");
        assertEquals(List.of(
                "{\"stream_id\":\"s1\",\"model\":null,\"tenant\":null,\"state\":\"expired\",\"tps\":null,\"output\":0,\"reasoning\":0,\"ttft_ms\":null,\"decode_ms\":null,\"begin_ts\":1790000000000,\"ts\":1790000601000}",
                "{\"stream_id\":\"s2\",\"model\":null,\"tenant\":null,\"state\":\"expired\",\"tps\":null,\"output\":0,\"reasoning\":0,\"ttft_ms\":null,\"decode_ms\":null,\"begin_ts\":1790000900000,\"ts\":1790001501000}",
                "{\"stream_id\":\"s1\",\"tombstone\":true,\"ts\":1790004201000}"),
                replay(MeteringConfig.defaults(), "metering.streams", trace, 3400));
    }

    @Test
    void theConfiguredNameOfATopicIsTheOneToAskFor() throws Exception {
        MeteringConfig renamed = MeteringConfig.fromMap(Map.of(MeteringConfig.INSIGHTS_TOPIC, "prod.insights"));
        assertEquals(replay(MeteringConfig.defaults(), "metering.insights", TRACE, 1),
                replay(renamed, "prod.insights", TRACE, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Replayer(renamed, Duration.ZERO, "metering.insights"));
        assertEquals("unknown output topic metering.insights; the topology writes metering.stats, prod.insights, "
                + "metering.streams", e.getMessage());
    }

    @Test
    void anUnknownTopicIsRejectedNamingTheOnesThereAre() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Replayer(MeteringConfig.defaults(), Duration.ZERO, "metering.deltas"));
        assertEquals("unknown output topic metering.deltas; the topology writes metering.stats, metering.insights, "
                + "metering.streams", e.getMessage());
    }
}
