package dev.llmmeter.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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
                "{\"stream_id\":\"s1\",\"model\":\"m1\",\"tenant\":\"t1\",\"state\":\"active\",\"tps\":12.0,\"output\":6,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":500,\"begin_ts\":1790000000000,\"ts\":1790000001000}",
                "{\"stream_id\":\"s1\",\"model\":\"m1\",\"tenant\":\"t1\",\"state\":\"ended\",\"tps\":12.0,\"output\":6,\"reasoning\":0,\"ttft_ms\":200,\"decode_ms\":500,\"begin_ts\":1790000000000,\"ts\":1790000002000}",
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
                "{\"ts\":1790000001000,\"group\":\"global\",\"name\":null,\"active\":1,\"tps\":12.0,\"system_tps\":0.6,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"started\":1,\"ended\":0}",
                "{\"ts\":1790000001000,\"group\":\"model\",\"name\":\"m1\",\"active\":1,\"tps\":12.0,\"system_tps\":0.6,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"started\":1,\"ended\":0}",
                "{\"ts\":1790000001000,\"group\":\"tenant\",\"name\":\"t1\",\"active\":1,\"tps\":12.0,\"system_tps\":0.6,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"started\":1,\"ended\":0}",
                "{\"ts\":1790000002000,\"group\":\"global\",\"name\":null,\"active\":0,\"tps\":null,\"system_tps\":0.6,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"started\":1,\"ended\":1}",
                "{\"ts\":1790000002000,\"group\":\"model\",\"name\":\"m1\",\"active\":0,\"tps\":null,\"system_tps\":0.6,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"started\":1,\"ended\":1}",
                "{\"ts\":1790000002000,\"group\":\"tenant\",\"name\":\"t1\",\"active\":0,\"tps\":null,\"system_tps\":0.6,\"ttft_ms\":{\"p50\":200.8,\"p90\":200.8,\"p99\":200.8,\"count\":1},\"itl_ms\":{\"p50\":499.9,\"p90\":499.9,\"p99\":499.9,\"count\":1},\"started\":1,\"ended\":1}",
                ""), run.out(), "the tick after the end: the groups idle, their last minute still counted");
        assertNoStackTrace(run);
    }

    @Test
    void anUnknownOutputTopicIsAUsageError() throws IOException {
        SimulateCommandTest.Run run = metering("replay", "--input", smallTrace().toString(), "--output-topic", "metering.deltas");
        assertEquals(2, run.exit());
        assertTrue(run.err().startsWith("metering replay: --output-topic must be one of metering.stats, metering.insights, "
                + "metering.streams, got metering.deltas" + System.lineSeparator()), run.err());
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
