package dev.llmmeter.replay;

import dev.llmmeter.contract.UsageCodec;
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

/** The replay prints the topic asked for: the stats by default, or the insights, the per-stream records or the usage. */
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
     * two gaps is the lower one. system_tps is the tokens applied in the last 10 s over 10: 6 + 1, then 6 + 4. s1's
     * end gives its time per output token, 500 ms over 6 - 1 tokens, 100 ms (100.4 within the 0.5%).
     */
    @Test
    void theInsightsTopicPrintsEachGroupsRecordAsPublished() throws Exception {
        assertEquals(List.of(
                "{\"ts\":1790000001000,\"group\":\"global\",\"name\":null,\"active\":2,\"tps\":12.0,\"system_tps\":0.7,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":2},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"tpot_ms\":null,\"started\":2,\"ended\":0}",
                "{\"ts\":1790000001000,\"group\":\"model\",\"name\":\"m1\",\"active\":1,\"tps\":12.0,\"system_tps\":0.6,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"tpot_ms\":null,\"started\":1,\"ended\":0}",
                "{\"ts\":1790000001000,\"group\":\"model\",\"name\":\"m2\",\"active\":1,\"tps\":null,\"system_tps\":0.1,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":null,\"tpot_ms\":null,\"started\":1,\"ended\":0}",
                "{\"ts\":1790000001000,\"group\":\"tenant\",\"name\":\"t1\",\"active\":2,\"tps\":12.0,\"system_tps\":0.7,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":2},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"tpot_ms\":null,\"started\":2,\"ended\":0}",
                "{\"ts\":1790000002000,\"group\":\"global\",\"name\":null,\"active\":1,\"tps\":4.0,\"system_tps\":1.0,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":2},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":2},\"tpot_ms\":{\"p50\":100.4,\"p90\":100.4,\"p99\":100.4,\"count\":1},\"started\":2,\"ended\":1}",
                "{\"ts\":1790000002000,\"group\":\"model\",\"name\":\"m1\",\"active\":0,\"tps\":null,\"system_tps\":0.6,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"tpot_ms\":{\"p50\":100.4,\"p90\":100.4,\"p99\":100.4,\"count\":1},\"started\":1,\"ended\":1}",
                "{\"ts\":1790000002000,\"group\":\"model\",\"name\":\"m2\",\"active\":1,\"tps\":4.0,\"system_tps\":0.4,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":{\"p50\":999.7,\"p90\":999.7,\"p99\":999.7,\"count\":1},\"tpot_ms\":null,\"started\":1,\"ended\":0}",
                "{\"ts\":1790000002000,\"group\":\"tenant\",\"name\":\"t1\",\"active\":1,\"tps\":4.0,\"system_tps\":1.0,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":2},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":2},\"tpot_ms\":{\"p50\":100.4,\"p90\":100.4,\"p99\":100.4,\"count\":1},\"started\":2,\"ended\":1}"),
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
                "{\"ts\":1790000062000,\"group\":\"global\",\"name\":null,\"active\":0,\"tps\":null,\"system_tps\":0.0,\"ttft_ms\":null,\"itl_ms\":null,\"tpot_ms\":null,\"started\":0,\"ended\":0}",
                "{\"ts\":1790000062000,\"group\":\"model\",\"name\":\"m1\",\"active\":0,\"tps\":null,\"system_tps\":0.0,\"ttft_ms\":null,\"itl_ms\":null,\"tpot_ms\":null,\"started\":0,\"ended\":0}"),
                insights.stream().filter(line -> line.startsWith("{\"ts\":1790000062000,")).toList());
    }

    /** s1's end publishes its final record at once (dated with the tick that covers it), before the tick's records. */
    @Test
    void theStreamsTopicPrintsEachStreamsRecordsAndTheFinalOneOfAnEndedStream() throws Exception {
        assertEquals(List.of(
                "{\"stream_id\":\"s1\",\"model\":\"m1\",\"tenant\":\"t1\",\"state\":\"active\",\"tps\":12.0,\"output\":6,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":500,\"begin_ts\":1790000000000,\"ts\":1790000001000,\"tpot_ms\":null,\"input\":null}",
                "{\"stream_id\":\"s2\",\"model\":\"m2\",\"tenant\":\"t1\",\"state\":\"active\",\"tps\":null,\"output\":1,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":0,\"begin_ts\":1790000000300,\"ts\":1790000001000,\"tpot_ms\":null,\"input\":null}",
                "{\"stream_id\":\"s1\",\"model\":\"m1\",\"tenant\":\"t1\",\"state\":\"ended\",\"tps\":12.0,\"output\":6,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":500,\"begin_ts\":1790000000000,\"ts\":1790000002000,\"tpot_ms\":100.0,\"input\":10}",
                "{\"stream_id\":\"s2\",\"model\":\"m2\",\"tenant\":\"t1\",\"state\":\"active\",\"tps\":4.0,\"output\":4,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":1000,\"begin_ts\":1790000000300,\"ts\":1790000002000,\"tpot_ms\":null,\"input\":null}"),
                replay(MeteringConfig.defaults(), "metering.streams", TRACE, 2));
    }

    @Test
    void aTombstoneOnTheStreamsTopicPrintsItsKeyAndTickAfterTheRetention() throws Exception {
        MeteringConfig config = MeteringConfig.fromMap(Map.of(MeteringConfig.STREAMS_RETENTION_MS, "2500"));
        List<String> lines = replay(config, "metering.streams", TRACE, 4);
        assertEquals(List.of(
                "{\"stream_id\":\"s1\",\"model\":\"m1\",\"tenant\":\"t1\",\"state\":\"active\",\"tps\":12.0,\"output\":6,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":500,\"begin_ts\":1790000000000,\"ts\":1790000001000,\"tpot_ms\":null,\"input\":null}",
                "{\"stream_id\":\"s2\",\"model\":\"m2\",\"tenant\":\"t1\",\"state\":\"active\",\"tps\":null,\"output\":1,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":0,\"begin_ts\":1790000000300,\"ts\":1790000001000,\"tpot_ms\":null,\"input\":null}",
                "{\"stream_id\":\"s1\",\"model\":\"m1\",\"tenant\":\"t1\",\"state\":\"ended\",\"tps\":12.0,\"output\":6,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":500,\"begin_ts\":1790000000000,\"ts\":1790000002000,\"tpot_ms\":100.0,\"input\":10}",
                "{\"stream_id\":\"s2\",\"model\":\"m2\",\"tenant\":\"t1\",\"state\":\"active\",\"tps\":4.0,\"output\":4,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":1000,\"begin_ts\":1790000000300,\"ts\":1790000002000,\"tpot_ms\":null,\"input\":null}",
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
                "{\"stream_id\":\"a\",\"model\":null,\"tenant\":null,\"state\":\"ended\",\"tps\":null,\"output\":1,\"reasoning\":0,\"ttft_ms\":100,\"decode_ms\":0,\"begin_ts\":1790000000000,\"ts\":1790000001000,\"tpot_ms\":null,\"input\":1}",
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
                "{\"stream_id\":\"s1\",\"model\":null,\"tenant\":null,\"state\":\"expired\",\"tps\":null,\"output\":0,\"reasoning\":0,\"ttft_ms\":null,\"decode_ms\":null,\"begin_ts\":1790000000000,\"ts\":1790000601000,\"tpot_ms\":null,\"input\":null}",
                "{\"stream_id\":\"s2\",\"model\":null,\"tenant\":null,\"state\":\"expired\",\"tps\":null,\"output\":0,\"reasoning\":0,\"ttft_ms\":null,\"decode_ms\":null,\"begin_ts\":1790000900000,\"ts\":1790001501000,\"tpot_ms\":null,\"input\":null}",
                "{\"stream_id\":\"s1\",\"tombstone\":true,\"ts\":1790004201000}"),
                replay(MeteringConfig.defaults(), "metering.streams", trace, 3400));
    }

    /**
     * A stream begun at 14:59:50 and never fed: its windows would close at 15:00 + 5 min, but it expires later, at
     * 15:09:51 (600 s after its begin); the replay runs on until it has, and its bill, late for both windows, which
     * had nothing when they closed, is their first record, from the meter's counts (none).
     */
    @Test
    void theEndOfTheTraceWaitsForAStreamBegunAndNeverFedToExpireAndBillsIt() throws Exception {
        long t = 1_790_002_790_000L; // 14:59:50
        String trace = "{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":" + t + ",\"model\":\"m1\",\"tenant\":\"acme\"}\n";
        assertEquals(List.of(
                "{\"specversion\":\"1.0\",\"id\":\"8e1fc75f-560f-3be3-aee6-1b5c968ef1ae\",\"source\":\"/llm-metering/metering-replay\",\"type\":\"dev.llmmeter.usage.v1\",\"subject\":\"acme\",\"time\":\"2026-09-21T15:00:00Z\",\"datacontenttype\":\"application/json\",\"data\":{\"tenant\":\"acme\",\"model\":\"m1\",\"window\":\"minute\",\"window_start\":\"2026-09-21T14:59:00Z\",\"window_end\":\"2026-09-21T15:00:00Z\",\"requests\":1,\"input_tokens\":0,\"output_tokens\":0,\"reasoning_tokens\":0,\"cached_input_tokens\":0,\"metered_requests\":1,\"amends\":null}}",
                "{\"specversion\":\"1.0\",\"id\":\"e6bb3e73-22ba-3803-b9fc-51e9770a1567\",\"source\":\"/llm-metering/metering-replay\",\"type\":\"dev.llmmeter.usage.v1\",\"subject\":\"acme\",\"time\":\"2026-09-21T15:00:00Z\",\"datacontenttype\":\"application/json\",\"data\":{\"tenant\":\"acme\",\"model\":\"m1\",\"window\":\"hour\",\"window_start\":\"2026-09-21T14:00:00Z\",\"window_end\":\"2026-09-21T15:00:00Z\",\"requests\":1,\"input_tokens\":0,\"output_tokens\":0,\"reasoning_tokens\":0,\"cached_input_tokens\":0,\"metered_requests\":1,\"amends\":null}}"),
                replay(MeteringConfig.defaults(), "metering.usage", trace, 0));
    }

    /**
     * s1 (acme, m1) is begun at T0 (14:13:20) and never fed; s2 of the same pair ends at once; then two hours of
     * silence until s3's begin. Live, the minute of 14:13 closes at 14:19, s1 expires at 14:23:21 and is billed in an
     * amendment of that minute, then the hour closes at 15:05 with both. The replay crosses the silence in jumps
     * that stop at s1's expiry, so it prints the same (one jump straight to s3 would amend the hour too). s3 expires
     * after its minute closed (a first record, at once), and its hour closes at the end.
     */
    @Test
    void aBeginExpiringInAnIdleStretchIsBilledAtTheTickThatExpiresItLive() throws Exception {
        String trace = String.join("\n",
                "{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":" + T0 + ",\"model\":\"m1\",\"tenant\":\"acme\"}",
                "{\"type\":\"begin\",\"stream_id\":\"s2\",\"ts\":" + (T0 + 100) + ",\"model\":\"m1\",\"tenant\":\"acme\"}",
                "{\"type\":\"output\",\"stream_id\":\"s2\",\"ts\":" + (T0 + 200) + ",\"running\":3}",
                "{\"type\":\"end\",\"stream_id\":\"s2\",\"ts\":" + (T0 + 1_000) + ",\"final_output_tokens\":3,\"input_tokens\":5}",
                "{\"type\":\"begin\",\"stream_id\":\"s3\",\"ts\":" + (T0 + 7_200_000) + ",\"model\":\"m1\",\"tenant\":\"acme\"}",
                "");
        assertEquals(List.of(
                "{\"specversion\":\"1.0\",\"id\":\"19025232-4327-3988-bbde-426959ecd010\",\"source\":\"/llm-metering/metering-replay\",\"type\":\"dev.llmmeter.usage.v1\",\"subject\":\"acme\",\"time\":\"2026-09-21T14:14:00Z\",\"datacontenttype\":\"application/json\",\"data\":{\"tenant\":\"acme\",\"model\":\"m1\",\"window\":\"minute\",\"window_start\":\"2026-09-21T14:13:00Z\",\"window_end\":\"2026-09-21T14:14:00Z\",\"requests\":1,\"input_tokens\":5,\"output_tokens\":3,\"reasoning_tokens\":0,\"cached_input_tokens\":0,\"metered_requests\":0,\"amends\":null}}",
                "{\"specversion\":\"1.0\",\"id\":\"14c06e26-3696-3560-811f-8df3d1db1b9c\",\"source\":\"/llm-metering/metering-replay\",\"type\":\"dev.llmmeter.usage.v1\",\"subject\":\"acme\",\"time\":\"2026-09-21T14:14:00Z\",\"datacontenttype\":\"application/json\",\"data\":{\"tenant\":\"acme\",\"model\":\"m1\",\"window\":\"minute\",\"window_start\":\"2026-09-21T14:13:00Z\",\"window_end\":\"2026-09-21T14:14:00Z\",\"requests\":1,\"input_tokens\":0,\"output_tokens\":0,\"reasoning_tokens\":0,\"cached_input_tokens\":0,\"metered_requests\":1,\"amends\":\"19025232-4327-3988-bbde-426959ecd010\"}}",
                "{\"specversion\":\"1.0\",\"id\":\"e6bb3e73-22ba-3803-b9fc-51e9770a1567\",\"source\":\"/llm-metering/metering-replay\",\"type\":\"dev.llmmeter.usage.v1\",\"subject\":\"acme\",\"time\":\"2026-09-21T15:00:00Z\",\"datacontenttype\":\"application/json\",\"data\":{\"tenant\":\"acme\",\"model\":\"m1\",\"window\":\"hour\",\"window_start\":\"2026-09-21T14:00:00Z\",\"window_end\":\"2026-09-21T15:00:00Z\",\"requests\":2,\"input_tokens\":5,\"output_tokens\":3,\"reasoning_tokens\":0,\"cached_input_tokens\":0,\"metered_requests\":1,\"amends\":null}}",
                "{\"specversion\":\"1.0\",\"id\":\"d0943dce-e9fc-3a29-bf76-f6dcd9c8099d\",\"source\":\"/llm-metering/metering-replay\",\"type\":\"dev.llmmeter.usage.v1\",\"subject\":\"acme\",\"time\":\"2026-09-21T16:14:00Z\",\"datacontenttype\":\"application/json\",\"data\":{\"tenant\":\"acme\",\"model\":\"m1\",\"window\":\"minute\",\"window_start\":\"2026-09-21T16:13:00Z\",\"window_end\":\"2026-09-21T16:14:00Z\",\"requests\":1,\"input_tokens\":0,\"output_tokens\":0,\"reasoning_tokens\":0,\"cached_input_tokens\":0,\"metered_requests\":1,\"amends\":null}}",
                "{\"specversion\":\"1.0\",\"id\":\"1b1a37ca-1b88-312b-a430-838024fdebf6\",\"source\":\"/llm-metering/metering-replay\",\"type\":\"dev.llmmeter.usage.v1\",\"subject\":\"acme\",\"time\":\"2026-09-21T17:00:00Z\",\"datacontenttype\":\"application/json\",\"data\":{\"tenant\":\"acme\",\"model\":\"m1\",\"window\":\"hour\",\"window_start\":\"2026-09-21T16:00:00Z\",\"window_end\":\"2026-09-21T17:00:00Z\",\"requests\":1,\"input_tokens\":0,\"output_tokens\":0,\"reasoning_tokens\":0,\"cached_input_tokens\":0,\"metered_requests\":1,\"amends\":null}}"),
                replay(MeteringConfig.defaults(), "metering.usage", trace, 0));
    }

    /** The windows of TRACE: minutes and hours of (t1, m1) and (t1, m2), all closed at the end whatever the grace. */
    @Test
    void theUsageTopicGoesByItsConfiguredNameAndTheEndWaitsOutTheConfiguredGrace() throws Exception {
        MeteringConfig renamed = MeteringConfig.fromMap(Map.of(MeteringConfig.USAGE_TOPIC, "prod.usage",
                MeteringConfig.USAGE_GRACE_MS, "86400000"));
        List<String> usage = replay(MeteringConfig.defaults(), "metering.usage", TRACE, 0);
        assertEquals(List.of("minute t1 m1", "minute t1 m2", "hour t1 m1", "hour t1 m2"), usage.stream()
                .map(line -> UsageCodec.decode(line.getBytes(StandardCharsets.UTF_8)))
                .map(u -> u.window().wireName() + " " + u.tenant() + " " + u.model()).toList());
        assertEquals(usage, replay(renamed, "prod.usage", TRACE, 0));
    }

    @Test
    void theConfiguredNameOfATopicIsTheOneToAskFor() throws Exception {
        MeteringConfig renamed = MeteringConfig.fromMap(Map.of(MeteringConfig.INSIGHTS_TOPIC, "prod.insights"));
        assertEquals(replay(MeteringConfig.defaults(), "metering.insights", TRACE, 1),
                replay(renamed, "prod.insights", TRACE, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Replayer(renamed, Duration.ZERO, "metering.insights"));
        assertEquals("unknown output topic metering.insights; the topology writes metering.stats, prod.insights, "
                + "metering.streams, metering.usage", e.getMessage());
    }

    @Test
    void anUnknownTopicIsRejectedNamingTheOnesThereAre() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Replayer(MeteringConfig.defaults(), Duration.ZERO, "metering.deltas"));
        assertEquals("unknown output topic metering.deltas; the topology writes metering.stats, metering.insights, "
                + "metering.streams, metering.usage", e.getMessage());
    }
}
