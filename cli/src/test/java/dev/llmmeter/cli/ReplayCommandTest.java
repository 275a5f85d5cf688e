package dev.llmmeter.cli;

import dev.llmmeter.contract.Usage;
import dev.llmmeter.replay.Replayer;
import dev.llmmeter.topology.MeteringConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import static dev.llmmeter.cli.SimulateCommandTest.metering;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code metering replay} as a command: exit codes and what it writes where. Never a stack trace. */
class ReplayCommandTest {
    @TempDir
    Path dir;

    static void assertNoStackTrace(SimulateCommandTest.Run run) {
        String all = run.out() + run.err();
        assertFalse(all.contains("Exception") || all.contains("\tat "), "a stack trace: " + all);
    }

    @Test
    void aMissingFileIsOneLineAndExit1() {
        Path missing = dir.resolve("missing.jsonl");
        SimulateCommandTest.Run run = metering("replay", "--input", missing.toString());
        assertEquals(1, run.exit());
        assertEquals("replay: cannot read " + missing + ": no such file" + System.lineSeparator(), run.err());
        assertEquals("", run.out());
        assertNoStackTrace(run);
    }

    @Test
    void aDirectoryIsOneLineAndExit1() {
        SimulateCommandTest.Run run = metering("replay", "--input", dir.toString());
        assertEquals(1, run.exit());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().startsWith("replay: cannot read " + dir + ": "), run.err());
        assertNoStackTrace(run);
    }

    @Test
    void aTraceOfOnlyBytesThatAreNotUtf8IsOneLineAndExit1() throws IOException {
        Path trace = dir.resolve("x.jsonl");
        Files.write(trace, new byte[] {(byte) 0xff, (byte) 0xfe, '\n'});
        SimulateCommandTest.Run run = metering("replay", "--input", trace.toString());
        assertEquals(1, run.exit());
        assertEquals("replay: none of the 1 lines of " + trace + " is a valid delta event with a \"ts\": "
                + "the replay clock needs at least one" + System.lineSeparator(), run.err());
        assertNoStackTrace(run);
    }

    @Test
    void aLineThatIsNotUtf8IsADeadLetterInTheDlqFileAndExit0() throws IOException {
        Path trace = dir.resolve("trace.jsonl");
        Path dlq = dir.resolve("dead.jsonl");
        byte[] good = ("{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":1790000000000}\n"
                + "{\"type\":\"output\",\"stream_id\":\"s1\",\"ts\":1790000001000,\"running\":2}\n").getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[good.length + 3];
        System.arraycopy(good, 0, bytes, 0, good.length);
        bytes[good.length] = (byte) 0xff;
        bytes[good.length + 1] = (byte) 0xfe;
        bytes[good.length + 2] = '\n';
        Files.write(trace, bytes);

        SimulateCommandTest.Run run = metering("replay", "--input", trace.toString(), "--dlq", dlq.toString(),
                "--tail-seconds", "2");
        assertEquals(0, run.exit(), run.err());
        assertEquals(List.of("{\"reason\":\"malformed_json\",\"detail\":\"value is not valid UTF-8\",\"value_base64\":\"//4=\"}"),
                Files.readAllLines(dlq, StandardCharsets.UTF_8));
        assertEquals(String.join(System.lineSeparator(),
                "{\"tps\":null,\"tps_available\":false,\"estimated\":false,\"high\":null,\"low\":null,\"active\":1,\"ts\":1790000001000}",
                "{\"tps\":null,\"tps_available\":false,\"estimated\":false,\"high\":null,\"low\":null,\"active\":1,\"ts\":1790000002000}",
                "{\"tps\":null,\"tps_available\":false,\"estimated\":false,\"high\":null,\"low\":null,\"active\":1,\"ts\":1790000003000}",
                ""), run.out());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().startsWith("replay: 3 events, 1 dead letters, 0 out-of-order deltas, 0 deltas for unknown streams; "
                + "3 ticks, 3 stats records; "), run.err());
        assertNoStackTrace(run);
    }

    /** One stream of model m1 for tenant t1: begin, deltas of 2 and 6 tokens 500 ms apart, end. */
    private Path smallTrace() throws IOException {
        Path trace = dir.resolve("small.jsonl");
        Files.writeString(trace, String.join("\n",
                "{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":1790000000000,\"model\":\"m1\",\"tenant\":\"t1\"}",
                "{\"type\":\"output\",\"stream_id\":\"s1\",\"ts\":1790000000200,\"running\":2}",
                "{\"type\":\"output\",\"stream_id\":\"s1\",\"ts\":1790000000700,\"running\":6}",
                "{\"type\":\"end\",\"stream_id\":\"s1\",\"ts\":1790000001500,\"final_output_tokens\":6,\"input_tokens\":9}",
                ""));
        return trace;
    }

    @Test
    void outputTopicStreamsPrintsThePerStreamRecordsAndTheTombstoneAfterTheRetention() throws IOException {
        Path config = dir.resolve("metering.properties");
        Files.writeString(config, "metering.streams.retention.ms=2000\n");
        SimulateCommandTest.Run run = metering("replay", "--input", smallTrace().toString(), "--output-topic", "metering.streams",
                "--config", config.toString(), "--tail-seconds", "3");
        assertEquals(0, run.exit(), run.err());
        assertEquals(String.join(System.lineSeparator(),
                "{\"stream_id\":\"s1\",\"model\":\"m1\",\"tenant\":\"t1\",\"state\":\"active\",\"tps\":12.0,\"output\":6,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":500,\"begin_ts\":1790000000000,\"ts\":1790000001000,\"tpot_ms\":null,\"input\":null}",
                "{\"stream_id\":\"s1\",\"model\":\"m1\",\"tenant\":\"t1\",\"state\":\"ended\",\"tps\":12.0,\"output\":6,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":500,\"begin_ts\":1790000000000,\"ts\":1790000002000,\"tpot_ms\":100.0,\"input\":9}",
                "{\"stream_id\":\"s1\",\"tombstone\":true,\"ts\":1790000004000}",
                ""), run.out());
        assertTrue(run.err().startsWith("replay: 4 events, 0 dead letters, 0 out-of-order deltas, 0 deltas for unknown streams; "
                + "5 ticks, 2 stats records, 3 records of metering.streams; "), run.err());
        assertNoStackTrace(run);
    }

    @Test
    void outputTopicInsightsPrintsEachGroupsRecordOfEachTickAsPublished() throws IOException {
        SimulateCommandTest.Run run = metering("replay", "--input", smallTrace().toString(), "--output-topic", "metering.insights",
                "--tail-seconds", "0");
        assertEquals(0, run.exit(), run.err());
        assertEquals(String.join(System.lineSeparator(),
                "{\"ts\":1790000001000,\"group\":\"global\",\"name\":null,\"active\":1,\"tps\":12.0,\"system_tps\":0.6,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"tpot_ms\":null,\"started\":1,\"ended\":0}",
                "{\"ts\":1790000001000,\"group\":\"model\",\"name\":\"m1\",\"active\":1,\"tps\":12.0,\"system_tps\":0.6,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"tpot_ms\":null,\"started\":1,\"ended\":0}",
                "{\"ts\":1790000001000,\"group\":\"tenant\",\"name\":\"t1\",\"active\":1,\"tps\":12.0,\"system_tps\":0.6,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"tpot_ms\":null,\"started\":1,\"ended\":0}",
                "{\"ts\":1790000002000,\"group\":\"global\",\"name\":null,\"active\":0,\"tps\":null,\"system_tps\":0.6,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"tpot_ms\":{\"p50\":100.4,\"p90\":100.4,\"p99\":100.4,\"count\":1},\"started\":1,\"ended\":1}",
                "{\"ts\":1790000002000,\"group\":\"model\",\"name\":\"m1\",\"active\":0,\"tps\":null,\"system_tps\":0.6,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"tpot_ms\":{\"p50\":100.4,\"p90\":100.4,\"p99\":100.4,\"count\":1},\"started\":1,\"ended\":1}",
                "{\"ts\":1790000002000,\"group\":\"tenant\",\"name\":\"t1\",\"active\":0,\"tps\":null,\"system_tps\":0.6,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"tpot_ms\":{\"p50\":100.4,\"p90\":100.4,\"p99\":100.4,\"count\":1},\"started\":1,\"ended\":1}",
                ""), run.out(), "the tick after the end: the groups idle, their last minute still counted");
        assertNoStackTrace(run);
    }

    /**
     * Two tenants, two models (T0 = 14:13:20 UTC): a1 (acme, m1) has 3 then 8 output tokens and ends at +1.5 s with
     * the provider's figures, reasoning and cached input included, and that end is sent twice; b1 (globex, m2) has
     * 2 then 6 output and 4 reasoning tokens and never ends; a2 (acme, m2) begins at +45 s (minute 14:14) and ends
     * with output and input tokens only.
     */
    private Path usageTrace() throws IOException {
        Path trace = dir.resolve("usage.jsonl");
        Files.writeString(trace, String.join("\n",
                "{\"type\":\"begin\",\"stream_id\":\"a1\",\"ts\":1790000000000,\"model\":\"m1\",\"tenant\":\"acme\"}",
                "{\"type\":\"output\",\"stream_id\":\"a1\",\"ts\":1790000000200,\"running\":3}",
                "{\"type\":\"begin\",\"stream_id\":\"b1\",\"ts\":1790000000300,\"model\":\"m2\",\"tenant\":\"globex\"}",
                "{\"type\":\"output\",\"stream_id\":\"b1\",\"ts\":1790000000700,\"running\":2}",
                "{\"type\":\"output\",\"stream_id\":\"a1\",\"ts\":1790000000900,\"running\":8}",
                "{\"type\":\"reasoning\",\"stream_id\":\"b1\",\"ts\":1790000001000,\"running\":4}",
                "{\"type\":\"end\",\"stream_id\":\"a1\",\"ts\":1790000001500,\"final_output_tokens\":8,\"input_tokens\":20,\"reasoning_tokens\":5,\"cached_input_tokens\":12}",
                "{\"type\":\"end\",\"stream_id\":\"a1\",\"ts\":1790000001500,\"final_output_tokens\":8,\"input_tokens\":20,\"reasoning_tokens\":5,\"cached_input_tokens\":12}",
                "{\"type\":\"output\",\"stream_id\":\"b1\",\"ts\":1790000002000,\"running\":6}",
                "{\"type\":\"begin\",\"stream_id\":\"a2\",\"ts\":1790000045000,\"model\":\"m2\",\"tenant\":\"acme\"}",
                "{\"type\":\"output\",\"stream_id\":\"a2\",\"ts\":1790000045400,\"running\":4}",
                "{\"type\":\"end\",\"stream_id\":\"a2\",\"ts\":1790000046000,\"final_output_tokens\":4,\"input_tokens\":7}",
                ""));
        return trace;
    }

    /**
     * Each window's record once, when the meter's clock passes its end plus the 5 minute grace: the minutes of 14:13
     * at 14:19 (acme before globex: by end, then by key), 14:14 at 14:20, the hour at 15:05, all after the trace's
     * last event, with no tail asked for. a1 is billed once with the provider's figures; b1 from the meter's own
     * counts (metered), dated by its last delta, when it goes stale a minute after it; a2's absent figures are 0.
     * Ids are name-based (source, window, start, tenant, model): the same trace gives the same bytes.
     */
    @Test
    void outputTopicUsagePrintsTheLedgersRecordsWithEveryWindowClosedAtTheEnd() throws IOException {
        Path trace = usageTrace();
        SimulateCommandTest.Run run = metering("replay", "--input", trace.toString(), "--output-topic", "metering.usage",
                "--tail-seconds", "0");
        assertEquals(0, run.exit(), run.err());
        assertEquals(String.join(System.lineSeparator(),
                "{\"specversion\":\"1.0\",\"id\":\"19025232-4327-3988-bbde-426959ecd010\",\"source\":\"/llm-metering/metering-replay\",\"type\":\"dev.llmmeter.usage.v1\",\"subject\":\"acme\",\"time\":\"2026-09-21T14:14:00Z\",\"datacontenttype\":\"application/json\",\"data\":{\"tenant\":\"acme\",\"model\":\"m1\",\"window\":\"minute\",\"window_start\":\"2026-09-21T14:13:00Z\",\"window_end\":\"2026-09-21T14:14:00Z\",\"requests\":1,\"input_tokens\":20,\"output_tokens\":8,\"reasoning_tokens\":5,\"cached_input_tokens\":12,\"metered_requests\":0,\"amends\":null}}",
                "{\"specversion\":\"1.0\",\"id\":\"352a9b4c-f540-3596-945a-b126d86ea306\",\"source\":\"/llm-metering/metering-replay\",\"type\":\"dev.llmmeter.usage.v1\",\"subject\":\"globex\",\"time\":\"2026-09-21T14:14:00Z\",\"datacontenttype\":\"application/json\",\"data\":{\"tenant\":\"globex\",\"model\":\"m2\",\"window\":\"minute\",\"window_start\":\"2026-09-21T14:13:00Z\",\"window_end\":\"2026-09-21T14:14:00Z\",\"requests\":1,\"input_tokens\":0,\"output_tokens\":6,\"reasoning_tokens\":4,\"cached_input_tokens\":0,\"metered_requests\":1,\"amends\":null}}",
                "{\"specversion\":\"1.0\",\"id\":\"3387148e-1fa0-3855-a841-cbc51c286598\",\"source\":\"/llm-metering/metering-replay\",\"type\":\"dev.llmmeter.usage.v1\",\"subject\":\"acme\",\"time\":\"2026-09-21T14:15:00Z\",\"datacontenttype\":\"application/json\",\"data\":{\"tenant\":\"acme\",\"model\":\"m2\",\"window\":\"minute\",\"window_start\":\"2026-09-21T14:14:00Z\",\"window_end\":\"2026-09-21T14:15:00Z\",\"requests\":1,\"input_tokens\":7,\"output_tokens\":4,\"reasoning_tokens\":0,\"cached_input_tokens\":0,\"metered_requests\":0,\"amends\":null}}",
                "{\"specversion\":\"1.0\",\"id\":\"e6bb3e73-22ba-3803-b9fc-51e9770a1567\",\"source\":\"/llm-metering/metering-replay\",\"type\":\"dev.llmmeter.usage.v1\",\"subject\":\"acme\",\"time\":\"2026-09-21T15:00:00Z\",\"datacontenttype\":\"application/json\",\"data\":{\"tenant\":\"acme\",\"model\":\"m1\",\"window\":\"hour\",\"window_start\":\"2026-09-21T14:00:00Z\",\"window_end\":\"2026-09-21T15:00:00Z\",\"requests\":1,\"input_tokens\":20,\"output_tokens\":8,\"reasoning_tokens\":5,\"cached_input_tokens\":12,\"metered_requests\":0,\"amends\":null}}",
                "{\"specversion\":\"1.0\",\"id\":\"bac3a1b5-8c90-3a01-8739-56e5d28afc2f\",\"source\":\"/llm-metering/metering-replay\",\"type\":\"dev.llmmeter.usage.v1\",\"subject\":\"acme\",\"time\":\"2026-09-21T15:00:00Z\",\"datacontenttype\":\"application/json\",\"data\":{\"tenant\":\"acme\",\"model\":\"m2\",\"window\":\"hour\",\"window_start\":\"2026-09-21T14:00:00Z\",\"window_end\":\"2026-09-21T15:00:00Z\",\"requests\":1,\"input_tokens\":7,\"output_tokens\":4,\"reasoning_tokens\":0,\"cached_input_tokens\":0,\"metered_requests\":0,\"amends\":null}}",
                "{\"specversion\":\"1.0\",\"id\":\"3c337212-5c5e-30c4-ae0b-63a3b69ab15e\",\"source\":\"/llm-metering/metering-replay\",\"type\":\"dev.llmmeter.usage.v1\",\"subject\":\"globex\",\"time\":\"2026-09-21T15:00:00Z\",\"datacontenttype\":\"application/json\",\"data\":{\"tenant\":\"globex\",\"model\":\"m2\",\"window\":\"hour\",\"window_start\":\"2026-09-21T14:00:00Z\",\"window_end\":\"2026-09-21T15:00:00Z\",\"requests\":1,\"input_tokens\":0,\"output_tokens\":6,\"reasoning_tokens\":4,\"cached_input_tokens\":0,\"metered_requests\":1,\"amends\":null}}",
                ""), run.out());
        assertTrue(run.out().startsWith("{\"specversion\":\"1.0\",\"id\":\"" + Usage.windowId("/llm-metering/metering-replay",
                Usage.Window.MINUTE, 1_789_999_980_000L, "acme", "m1") + "\","), "the window's id: " + run.out());
        assertTrue(run.err().startsWith("replay: 12 events, 0 dead letters, 0 out-of-order deltas, 0 deltas for unknown streams; "
                + "128 ticks, 63 stats records, 6 records of metering.usage; "), run.err()); // b1's TPOT, when it goes stale, holds the insights a minute
        assertNoStackTrace(run);

        SimulateCommandTest.Run again = metering("replay", "--input", trace.toString(), "--output-topic", "metering.usage",
                "--tail-seconds", "0");
        assertEquals(run.out(), again.out(), "the same trace, the same bytes");
    }

    /** What --help says the replay prints is what it accepts, and it says how the usage windows are closed. */
    @Test
    void theHelpNamesEveryOutputTopicTheReplayPrintsAndHowTheUsageWindowsClose() throws IOException {
        SimulateCommandTest.Run help = metering("replay", "--help");
        assertEquals(0, help.exit(), help.err());
        String text = help.out().replaceAll("\\s+", " ");
        for (String topic : Replayer.outputTopics(MeteringConfig.defaults())) {
            assertTrue(Pattern.compile("(?<![\\w.])" + Pattern.quote(topic) + "(?![\\w.])").matcher(text).find(),
                    topic + " in: " + text);
            SimulateCommandTest.Run run = metering("replay", "--input", smallTrace().toString(), "--output-topic", topic,
                    "--tail-seconds", "0");
            assertEquals(0, run.exit(), topic + ": " + run.err());
        }
        assertTrue(text.contains("With metering.usage, at the end of the trace the windows still open are closed as the "
                + "meter's clock would close them: past the tail, the clock runs on with no more input until every stream "
                + "still open has left (stale or expired, and is billed) and every window's end plus "
                + "metering.usage.grace.ms has passed."), text);
    }

    @Test
    void anUnknownOutputTopicIsAUsageError() throws IOException {
        SimulateCommandTest.Run run = metering("replay", "--input", smallTrace().toString(), "--output-topic", "metering.deltas");
        assertEquals(2, run.exit());
        assertTrue(run.err().startsWith("metering replay: --output-topic must be one of metering.stats, metering.insights, "
                + "metering.streams, metering.usage, got metering.deltas" + System.lineSeparator()), run.err());
        assertEquals("", run.out());
        assertNoStackTrace(run);
    }

    @Test
    void aDlqFileThatCannotBeWrittenIsOneLineAndExit1() throws IOException {
        Path trace = dir.resolve("trace.jsonl");
        Files.writeString(trace, "{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":1790000000000}\n");
        Path dlq = dir.resolve("no-such-dir").resolve("dead.jsonl");
        SimulateCommandTest.Run run = metering("replay", "--input", trace.toString(), "--dlq", dlq.toString());
        assertEquals(1, run.exit());
        assertEquals("replay: cannot write --dlq " + dlq + ": no such file" + System.lineSeparator(), run.err());
        assertNoStackTrace(run);
    }
}
