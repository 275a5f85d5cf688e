package dev.llmmeter.topology;

import dev.llmmeter.contract.DeadLetterHeaders;
import dev.llmmeter.contract.DeadLetterReason;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.topology.processors.MeteringMetrics;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static dev.llmmeter.topology.MeteringDriver.T0;
import static dev.llmmeter.topology.MeteringDriver.header;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Every way an input record can break the contract: dead-lettered untouched, with its reason; nothing else changes. */
class DeadLetterTest {
    private static final String LONG_ID = "x".repeat(257);

    static Stream<Arguments> invalidRecords() {
        return Stream.of(
                arguments("s", bytes("{\"type\":\"begin\""), "malformed_json",
                        "Unexpected end-of-input: expected close marker for Object (start marker at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 1])"),
                arguments("s", new byte[] {'{', (byte) 0xff, '}'}, "malformed_json", "value is not valid UTF-8"),
                arguments("s", null, "malformed_json", "record value is null (a tombstone), expected a JSON object"),
                arguments("s", new byte[0], "malformed_json", "empty value, expected a JSON object"),
                arguments("s", bytes("{\"type\":\"begin\",\"stream_id\":\"s\"} {}"), "malformed_json",
                        "unexpected content after the JSON value: an object"),
                arguments("s", bytes("[1,2]"), "not_an_object", "expected a JSON object, got an array"),
                arguments("s", bytes("\"begin\""), "not_an_object", "expected a JSON object, got a string"),
                arguments("s", bytes("{\"stream_id\":\"s\"}"), "missing_type", "type is missing"),
                arguments("s", bytes("{\"type\":null,\"stream_id\":\"s\"}"), "missing_type", "type is missing"),
                arguments("s", bytes("{\"type\":\"start\",\"stream_id\":\"s\"}"), "unknown_type",
                        "type must be one of begin, output, reasoning, end; got \"start\""),
                arguments("s", bytes("{\"type\":5,\"stream_id\":\"s\"}"), "unknown_type", "type must be a string, got a number"),
                arguments("s", bytes("{\"type\":\"begin\"}"), "missing_stream_id", "stream_id is missing"),
                arguments("s", bytes("{\"type\":\"begin\",\"stream_id\":7}"), "invalid_stream_id", "stream_id must be a string, got a number"),
                arguments("", bytes("{\"type\":\"begin\",\"stream_id\":\"\"}"), "invalid_stream_id", "stream_id must not be empty"),
                arguments(LONG_ID, bytes("{\"type\":\"begin\",\"stream_id\":\"" + LONG_ID + "\"}"), "invalid_stream_id",
                        "stream_id must be at most 256 characters, got 257"),
                arguments(null, bytes("{\"type\":\"begin\",\"stream_id\":\"s\"}"), "missing_key",
                        "record has no key; it must be the stream id \"s\""),
                arguments("other", bytes("{\"type\":\"begin\",\"stream_id\":\"s\"}"), "key_mismatch",
                        "record key \"other\" differs from stream_id \"s\""),
                arguments("s", bytes("{\"type\":\"begin\",\"stream_id\":\"s\",\"ts\":-1}"), "invalid_ts", "ts must not be negative, got -1"),
                arguments("s", bytes("{\"type\":\"begin\",\"stream_id\":\"s\",\"ts\":\"now\"}"), "invalid_ts", "ts must be an integer, got a string"),
                arguments("s", bytes("{\"type\":\"begin\",\"stream_id\":\"s\",\"ts\":1.5}"), "invalid_ts", "ts must be a whole number, got 1.5"),
                arguments("s", bytes("{\"type\":\"begin\",\"stream_id\":\"s\",\"ts\":1e30}"), "invalid_ts",
                        "ts is beyond a signed 64-bit integer: 1e30"),
                arguments("s", bytes("{\"type\":\"output\",\"stream_id\":\"s\"}"), "missing_count", "running is missing"),
                arguments("s", bytes("{\"type\":\"reasoning\",\"stream_id\":\"s\",\"running\":null}"), "missing_count", "running is missing"),
                arguments("s", bytes("{\"type\":\"output\",\"stream_id\":\"s\",\"running\":-3}"), "invalid_count", "running must not be negative, got -3"),
                arguments("s", bytes("{\"type\":\"output\",\"stream_id\":\"s\",\"running\":2.5}"), "invalid_count", "running must be a whole number, got 2.5"),
                arguments("s", bytes("{\"type\":\"output\",\"stream_id\":\"s\",\"running\":\"7\"}"), "invalid_count", "running must be an integer, got a string"),
                arguments("s", bytes("{\"type\":\"output\",\"stream_id\":\"s\",\"running\":9223372036854775808}"), "invalid_count",
                        "running is beyond a signed 64-bit integer: 9223372036854775808"),
                arguments("s", bytes("{\"type\":\"end\",\"stream_id\":\"s\",\"input_tokens\":3}"), "missing_count", "final_output_tokens is missing"),
                arguments("s", bytes("{\"type\":\"end\",\"stream_id\":\"s\",\"final_output_tokens\":3,\"input_tokens\":-1}"), "invalid_count",
                        "input_tokens must not be negative, got -1"),
                arguments("s", bytes("{\"type\":\"begin\",\"stream_id\":\"s\",\"model\":{\"name\":\"x\"}}"), "invalid_model",
                        "model must be a string, got an object"),
                arguments("s", bytes("{\"type\":\"begin\",\"stream_id\":\"s\",\"model\":\"\"}"), "invalid_model", "model must not be empty"),
                arguments("s", bytes("{\"type\":\"begin\",\"stream_id\":\"s\",\"model\":\"" + LONG_ID + "\"}"), "invalid_model",
                        "model must be at most 256 characters, got 257"),
                arguments("s", bytes("{\"type\":\"begin\",\"stream_id\":\"s\",\"tenant\":42}"), "invalid_tenant",
                        "tenant must be a string, got a number"),
                arguments("s", bytes("{\"type\":\"begin\",\"stream_id\":\"s\",\"model\":\"m\",\"tenant\":\"\"}"), "invalid_tenant",
                        "tenant must not be empty"));
    }

    @ParameterizedTest(name = "{2}: {3}")
    @MethodSource("invalidRecords")
    void invalidRecordIsDeadLetteredUntouchedWithItsReason(String key, byte[] value, String reason, String detail) {
        try (MeteringDriver d = new MeteringDriver()) {
            d.sendRaw("ok", "{\"type\":\"begin\",\"stream_id\":\"ok\",\"ts\":" + T0 + "}", T0);
            d.sendRaw(key, value, T0 + 100);
            d.sendRaw("ok", "{\"type\":\"output\",\"stream_id\":\"ok\",\"ts\":" + (T0 + 1000) + ",\"running\":1}", T0 + 1000);
            d.tickTo(T0 + 1000);

            List<TestRecord<byte[], byte[]>> dead = d.deadLetters();
            assertEquals(1, dead.size());
            TestRecord<byte[], byte[]> r = dead.get(0);
            assertArrayEquals(key == null ? null : key.getBytes(StandardCharsets.UTF_8), r.key());
            assertArrayEquals(value, r.value());
            assertEquals(T0 + 100, r.timestamp());
            assertEquals(reason, header(r, DeadLetterHeaders.REASON));
            assertEquals(detail, header(r, DeadLetterHeaders.DETAIL));
            assertEquals(Topics.DELTAS.name(), header(r, DeadLetterHeaders.SOURCE_TOPIC));
            assertEquals("0", header(r, DeadLetterHeaders.SOURCE_PARTITION));
            assertEquals("1", header(r, DeadLetterHeaders.SOURCE_OFFSET));
            assertEquals(reason + ": " + detail, header(r, DeadLetterHeaders.MESSAGE));
            assertEquals(1, d.droppedRecords(), "counted in Kafka Streams' dropped-records of its task");
            assertEquals(1, d.counter(MeteringMetrics.DEAD_LETTERS, Map.of(MeteringMetrics.REASON_TAG, reason)), "counted under its reason");
            assertEquals(1, d.counter(MeteringMetrics.DEAD_LETTERS), "under its reason only");

            // The valid events on either side were processed as if the bad one had never come.
            assertEquals(List.of(new Stats(null, false, false, null, null, 1, T0 + 1000)), d.stats());
        }
    }

    @Test
    void sourceHeadersAreKeptOnTheDeadLetter() {
        try (MeteringDriver d = new MeteringDriver()) {
            org.apache.kafka.common.header.internals.RecordHeaders headers = new org.apache.kafka.common.header.internals.RecordHeaders();
            headers.add("trace-id", bytes("abc"));
            d.sendRawWithHeaders("s", bytes("nope"), headers, T0);
            TestRecord<byte[], byte[]> r = d.deadLetters().get(0);
            assertEquals("abc", header(r, "trace-id"));
            assertEquals("malformed_json", header(r, DeadLetterHeaders.REASON));
        }
    }

    @Test
    void unknownFieldsAreIgnored() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.sendRaw("s", "{\"type\":\"begin\",\"stream_id\":\"s\",\"ts\":" + T0 + ",\"meta\":{\"name\":\"x\",\"tags\":[1,2]},\"v\":2}", T0);
            d.sendRaw("s", "{\"v\":2,\"running\":1,\"type\":\"output\",\"stream_id\":\"s\",\"ts\":" + (T0 + 1000) + ",\"extra\":null}", T0 + 1000);
            d.tickTo(T0 + 1000);
            assertEquals(List.of(), d.deadLetters());
            assertEquals(0, d.droppedRecords());
            assertEquals(0, d.counter(MeteringMetrics.DEAD_LETTERS));
            assertEquals(List.of(new Stats(null, false, false, null, null, 1, T0 + 1000)), d.stats());
        }
    }

    @Test
    @DisplayName("two invalid JSON values and one keyless event: dead-letters-total is 2 for malformed_json, 1 for missing_key, 0 for every other reason; valid events move none")
    void deadLettersAreCountedByTheirReason() {
        try (MeteringDriver d = new MeteringDriver()) {
            d.sendRaw("ok", "{\"type\":\"begin\",\"stream_id\":\"ok\",\"ts\":" + T0 + "}", T0);
            assertEquals(reasons(0, 0), deadLettersByReason(d), "valid input counts nothing");

            d.sendRaw("s", "{\"type\":\"begin\"", T0 + 10);
            d.sendRaw("s", "nope", T0 + 20);
            d.sendRaw(null, "{\"type\":\"begin\",\"stream_id\":\"s\",\"ts\":" + T0 + "}", T0 + 30);
            d.sendRaw("ok", "{\"type\":\"output\",\"stream_id\":\"ok\",\"ts\":" + (T0 + 1000) + ",\"running\":1}", T0 + 1000);
            d.tickTo(T0 + 1000);

            assertEquals(reasons(2, 1), deadLettersByReason(d));
            assertEquals(3, d.droppedRecords());
            assertEquals(List.of("malformed_json", "malformed_json", "missing_key"),
                    d.deadLetters().stream().map(r -> header(r, DeadLetterHeaders.REASON)).toList(), "the reasons the headers carry");
        }
    }

    /** Every reason's wire name to its count: {@code malformedJson} and {@code missingKey} for those two, 0 for the rest. */
    private static Map<String, Long> reasons(long malformedJson, long missingKey) {
        Map<String, Long> out = new TreeMap<>();
        for (DeadLetterReason r : DeadLetterReason.values()) {
            out.put(r.wireName(), r == DeadLetterReason.MALFORMED_JSON ? malformedJson : r == DeadLetterReason.MISSING_KEY ? missingKey : 0L);
        }
        return out;
    }

    /** The driver's dead-letters-total series by their reason tag (one task: one series per reason). */
    private static Map<String, Long> deadLettersByReason(MeteringDriver d) {
        Map<String, Long> out = new TreeMap<>();
        d.metrics().forEach((name, metric) -> {
            if (name.group().equals(MeteringMetrics.GROUP) && name.name().equals(MeteringMetrics.DEAD_LETTERS + "-total")) {
                Long before = out.put(name.tags().get(MeteringMetrics.REASON_TAG), (long) ((Number) metric.metricValue()).doubleValue());
                assertEquals(null, before, "one series per reason: " + name);
            }
        });
        return out;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
