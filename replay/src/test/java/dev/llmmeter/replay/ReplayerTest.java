package dev.llmmeter.replay;

import dev.llmmeter.topology.MeteringConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the replay reads a trace: bad lines, the clocks, idle stretches and the tail. */
class ReplayerTest {
    static final long T0 = 1_790_000_000_000L;
    static final long YEAR_MS = 365L * 24 * 3600 * 1000;
    static final long JAN_1_2100 = 4_102_444_800_000L;

    /** What one replay produced. */
    record Result(List<String> stats, List<String> deadLetters, Replayer.Summary summary) {
    }

    static Result replay(byte[] trace, long tailSeconds) throws Exception {
        List<String> stats = new ArrayList<>();
        List<String> deadLetters = new ArrayList<>();
        Replayer.Summary s = new Replayer(MeteringConfig.defaults(), Duration.ofSeconds(tailSeconds))
                .replay(new ByteArrayInputStream(trace), stats::add, deadLetters::add);
        return new Result(stats, deadLetters, s);
    }

    static Result replay(byte[] trace) throws Exception {
        return replay(trace, 65);
    }

    static byte[] golden(String name) throws IOException {
        try (InputStream in = GoldenTraceTest.resource(name + ".jsonl")) {
            return in.readAllBytes();
        }
    }

    static List<byte[]> lines(byte[] trace) {
        List<byte[]> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < trace.length; i++) {
            if (trace[i] == '\n') {
                lines.add(java.util.Arrays.copyOfRange(trace, start, i));
                start = i + 1;
            }
        }
        if (start < trace.length) {
            lines.add(java.util.Arrays.copyOfRange(trace, start, trace.length));
        }
        return lines;
    }

    static byte[] join(List<byte[]> lines) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] l : lines) {
            out.writeBytes(l);
            out.write('\n');
        }
        return out.toByteArray();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The trace with {@code line} inserted before line {@code index} (0-based). */
    static byte[] inserted(byte[] trace, int index, byte[] line) {
        List<byte[]> lines = new ArrayList<>(lines(trace));
        lines.add(index, line);
        return join(lines);
    }

    private static final Pattern TS = Pattern.compile("\"ts\":(\\d+)");

    /** Every {@code "ts"} in the text moved by {@code shiftMs}. */
    static String shifted(String text, long shiftMs) {
        Matcher m = TS.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, "\"ts\":" + (Long.parseLong(m.group(1)) + shiftMs));
        }
        m.appendTail(out);
        return out.toString();
    }

    @Test
    void aLineThatIsNotUtf8IsAMalformedJsonDeadLetterAndTheOtherLinesStatsAreUnchanged() throws Exception {
        byte[] clean = golden("three_streams");
        byte[] withBadBytes = inserted(clean, 5000, new byte[] {(byte) 0xff, (byte) 0xfe});

        Result expected = replay(clean);
        Result actual = replay(withBadBytes);

        assertEquals(expected.stats(), actual.stats());
        assertEquals(List.of("{\"reason\":\"malformed_json\",\"detail\":\"value is not valid UTF-8\",\"value_base64\":\"//4=\"}"),
                actual.deadLetters());
        assertEquals(11188, actual.summary().events());
        assertEquals(1, actual.summary().deadLetters());
        assertEquals(expected.summary().ticks(), actual.summary().ticks());
        assertEquals(195, actual.summary().statsRecords());
    }

    @Test
    void aDeadLetterThatIsValidUtf8KeepsItsValueAsAString() throws Exception {
        byte[] trace = utf8("{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":" + T0 + "}\n"
                + "{\"type\":\"flush\",\"stream_id\":\"s1\",\"note\":\"é\"}\n");
        assertEquals(List.of("{\"reason\":\"unknown_type\",\"detail\":\"type must be one of begin, output, reasoning, end; got \\\"flush\\\"\","
                        + "\"value\":\"{\\\"type\\\":\\\"flush\\\",\\\"stream_id\\\":\\\"s1\\\",\\\"note\\\":\\\"é\\\"}\"}"),
                replay(trace).deadLetters());
    }

    @Test
    void invalidUtf8InsideAJsonStringIsAlsoAMalformedJsonDeadLetter() throws Exception {
        ByteArrayOutputStream bad = new ByteArrayOutputStream();
        bad.writeBytes(utf8("{\"type\":\"begin\",\"stream_id\":\"s"));
        bad.write(0xc3); // a lone lead byte
        bad.writeBytes(utf8("\",\"ts\":" + T0 + "}"));
        byte[] trace = join(List.of(utf8("{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":" + T0 + "}"), bad.toByteArray()));
        Result r = replay(trace);
        assertEquals(1, r.deadLetters().size());
        assertTrue(r.deadLetters().get(0).startsWith("{\"reason\":\"malformed_json\",\"detail\":\"value is not valid UTF-8\",\"value_base64\":\""),
                r.deadLetters().get(0));
    }

    @ParameterizedTest(name = "line {0}: {1}")
    @CsvSource(delimiter = '|', value = {
        // in 2100, in the middle of the trace
        "5000|{\"type\":\"output\",\"stream_id\":\"s1\",\"ts\":4102444800000,\"running\":-1}|invalid_count",
        // 6 h after the first event, in the middle
        "5000|{\"type\":\"flush\",\"stream_id\":\"s1\",\"ts\":1790021600417}|unknown_type",
        // in 2100, before the first accepted event: it must not start the clock either
        "0|{\"stream_id\":\"s1\",\"ts\":4102444800000}|missing_type",
        // 6 h ahead, as the last line: the tail must not count from it
        "11187|{\"type\":\"begin\",\"ts\":1790021600417}|missing_stream_id",
    })
    void aDeadLetterDatedFarAheadChangesNothing(int index, String line, String reason) throws Exception {
        byte[] clean = golden("three_streams");
        Result expected = replay(clean);
        Result actual = replay(inserted(clean, index, utf8(line)));

        assertEquals(expected.stats(), actual.stats());
        assertEquals(expected.summary().ticks(), actual.summary().ticks());
        assertEquals(1, actual.deadLetters().size());
        assertTrue(actual.deadLetters().get(0).startsWith("{\"reason\":\"" + reason + "\""), actual.deadLetters().get(0));
    }

    static final String BEGIN_S1 = "{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":" + T0 + "}";
    static final String OUTPUT_1 = "{\"type\":\"output\",\"stream_id\":\"s1\",\"ts\":" + (T0 + 1000) + ",\"running\":1}";
    static final String OUTPUT_5 = "{\"type\":\"output\",\"stream_id\":\"s1\",\"ts\":" + (T0 + 2000) + ",\"running\":5}";
    /** Rejected (a negative count), dated 30 s after the last accepted event. */
    static final String REJECTED_30S_AHEAD = "{\"type\":\"output\",\"stream_id\":\"s1\",\"ts\":" + (T0 + 30_000) + ",\"running\":-1}";

    static String stats(String tps, String high, int active, long ts) {
        return "{\"tps\":" + tps + ",\"tps_available\":" + !tps.equals("null") + ",\"estimated\":false,\"high\":" + high
                + ",\"low\":" + high + ",\"active\":" + active + ",\"ts\":" + ts + "}";
    }

    @Test
    void aLineWithoutTsAfterARejectedDatedLineTakesTheLastAcceptedTs() throws Exception {
        // Without ts, running 9 comes at the last accepted ts (T0 + 2 s): 9 tokens over the 1 s since the first
        // delta. Had it taken the rejected line's T0 + 30 s, the tick at T0 + 2 s would show 5.0, and later 9/29.
        byte[] trace = utf8(String.join("\n", BEGIN_S1, OUTPUT_1, OUTPUT_5, REJECTED_30S_AHEAD,
                "{\"type\":\"output\",\"stream_id\":\"s1\",\"running\":9}") + "\n");
        Result r = replay(trace);

        List<String> expected = new ArrayList<>();
        expected.add(stats("null", "null", 1, T0 + 1000));
        for (long t = T0 + 2000; t <= T0 + 62_000; t += 1000) {
            expected.add(stats("9.0", "9.0", 1, t)); // live until its last delta is 60 s old
        }
        expected.add(stats("null", "9.0", 0, T0 + 63_000)); // pruned as stale: the idle record
        assertEquals(expected, r.stats());
        assertEquals(1, r.deadLetters().size());
        assertEquals(0, r.summary().outOfOrder());
    }

    @Test
    void theTailCountsFromTheLastAcceptedTs() throws Exception {
        // The last accepted ts is T0 + 2 s; a rejected line dated later and an accepted line without ts follow.
        byte[] trace = utf8(String.join("\n", BEGIN_S1, OUTPUT_1, OUTPUT_5, REJECTED_30S_AHEAD,
                "{\"type\":\"end\",\"stream_id\":\"nobody\",\"final_output_tokens\":0}") + "\n");
        Result r = replay(trace, 5);

        List<String> expected = new ArrayList<>();
        expected.add(stats("null", "null", 1, T0 + 1000));
        for (long t = T0 + 2000; t <= T0 + 7000; t += 1000) {
            expected.add(stats("5.0", "5.0", 1, t));
        }
        assertEquals(expected, r.stats()); // the last tick is T0 + 2 s + 5 s, not T0 + 30 s + 5 s
        assertEquals(7, r.summary().ticks());
    }

    @Test
    void theTailEndsAtTheFirstTickAtOrAfterTheLastAcceptedTsPlusTheTail() throws Exception {
        byte[] trace = utf8(String.join("\n", BEGIN_S1, OUTPUT_1,
                "{\"type\":\"output\",\"stream_id\":\"s1\",\"ts\":" + (T0 + 2500) + ",\"running\":5}") + "\n");
        Result r = replay(trace, 3);
        // T0 + 2.5 s + 3 s = T0 + 5.5 s: the last tick is T0 + 6 s; 5 tokens over 1.5 s
        assertEquals(List.of(stats("null", "null", 1, T0 + 1000), stats("null", "null", 1, T0 + 2000),
                        stats("3.3", "3.3", 1, T0 + 3000), stats("3.3", "3.3", 1, T0 + 4000),
                        stats("3.3", "3.3", 1, T0 + 5000), stats("3.3", "3.3", 1, T0 + 6000)),
                r.stats());
        assertEquals(6, r.summary().ticks());
    }

    @Test
    void aOneYearGapIsCrossedInOneStepWithTheSameStatsAsTheTwoBurstsReplayedSeparately() throws Exception {
        String first = new String(golden("three_streams"), StandardCharsets.UTF_8);
        // A stream begun and never fed: live (counted in active) until its begin expires, 600 s later; the single
        // tick that crosses the gap must prune it, or the second burst's active counts would be one too high.
        String burst = "{\"type\":\"begin\",\"stream_id\":\"never-fed\",\"ts\":1790000000417}\n" + first;
        String second = shifted(burst, YEAR_MS);

        Result a = replay(utf8(burst));
        Result b = replay(utf8(second));
        Result both = replay(utf8(burst + second));

        List<String> expected = new ArrayList<>(a.stats());
        expected.addAll(b.stats());
        assertEquals(expected, both.stats());
        assertEquals(shifted(String.join("\n", a.stats()), YEAR_MS), String.join("\n", b.stats()));
        assertTrue(a.stats().get(a.stats().size() - 1).contains("\"active\":1,"), "never-fed is still live when the burst ends");
        // A year is 31.5 million ticks; crossed in one. A burst alone runs every second to the end of its 65-s tail
        // (T0 + 226 s; the insights are still busy then: s2, never ended, went stale at T0 + 197 s and its time per
        // output token is in their 60-s window), then its last tick (227). Together, no tail cuts the first burst
        // short: it runs every second through the insights' idle record (T0 + 257 s, s2's TPOT out of their window)
        // and the silent tick after it (258), then one jump to the second burst, which runs as alone (227).
        assertEquals(227, a.summary().ticks());
        assertEquals(227, b.summary().ticks());
        assertEquals(258 + 1 + 227, both.summary().ticks());
        assertTrue(both.summary().ticks() < 500, "ticks: " + both.summary().ticks());
    }

    @Test
    void aTraceWithLinesButNoAcceptedTimedEventCannotBeReplayed() {
        byte[] trace = utf8("{\"type\":\"begin\",\"stream_id\":\"s1\"}\n{\"type\":\"begin\",\"ts\":" + T0 + "}\n");
        Replayer.UnreplayableTraceException e = assertThrows(Replayer.UnreplayableTraceException.class, () -> replay(trace));
        assertEquals("none of the 2 lines of the trace is a valid delta event with a \"ts\": the replay clock needs at least one",
                e.getMessage());
    }

    @Test
    void anAcceptedTsPastTheYear9999CannotBeReplayedAndNamesItsLine() {
        byte[] trace = utf8(BEGIN_S1 + "\n\n" + "{\"type\":\"begin\",\"stream_id\":\"s2\",\"ts\":9223372036854775807}\n");
        Replayer.UnreplayableTraceException e = assertThrows(Replayer.UnreplayableTraceException.class, () -> replay(trace));
        assertEquals("line 3 of the trace: ts 9223372036854775807 is past the end of the year 9999, the latest time the "
                + "replay clock can reach (253402300799999)", e.getMessage());
    }

    @Test
    void aTailTooLongForTheClockEndsAtTheYear9999InOneStep() throws Exception {
        Result r = replay(utf8(String.join("\n", BEGIN_S1, OUTPUT_1, OUTPUT_5)), Long.MAX_VALUE / 1000 + 1);
        assertEquals(63, r.stats().size()); // as with any tail over 61 s
        // s1 goes stale with a time per output token (4 tokens after its first in 1 s): the insights run every second for its minute in
        // their window (60 more); then the idle stretch to the end of 9999 is one tick, and the tick at or after it one more
        assertEquals(63 + 60 + 1 + 1 + 1, r.summary().ticks());
    }

    @Test
    void anEmptyTraceIsReplayedAsNothing() throws Exception {
        Result r = replay(utf8("\n  \n\r\n"));
        assertEquals(new Replayer.Summary(0, 0, 0, 0, 0, 0), r.summary());
        assertEquals(Collections.emptyList(), r.stats());
    }

    @Test
    void crlfLineEndsAndBlankLinesAreTheSameTrace() throws Exception {
        byte[] clean = golden("rounding");
        String crlf = new String(clean, StandardCharsets.UTF_8).replace("\n", "\r\n\r\n  \n");
        assertEquals(replay(clean).stats(), replay(utf8(crlf)).stats());
        assertEquals(0, replay(utf8(crlf)).deadLetters().size());
    }
}
