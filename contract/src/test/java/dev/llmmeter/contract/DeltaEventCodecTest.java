package dev.llmmeter.contract;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** What the codec accepts; what it rejects is covered end to end by the topology's DeadLetterTest. */
class DeltaEventCodecTest {

    private static DeltaEvent decode(String json) {
        return DeltaEventCodec.decode(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void decodesTheFourWireExamples() {
        assertEquals(DeltaEvent.begin("s1", 1790000000000L),
                decode("{\"type\":\"begin\",     \"stream_id\":\"s1\", \"ts\":1790000000000}"));
        assertEquals(DeltaEvent.output("s1", 1790000000250L, 1),
                decode("{\"type\":\"output\",    \"stream_id\":\"s1\", \"ts\":1790000000250, \"running\":1}"));
        assertEquals(DeltaEvent.reasoning("s1", 1790000000300L, 4),
                decode("{\"type\":\"reasoning\", \"stream_id\":\"s1\", \"ts\":1790000000300, \"running\":4}"));
        assertEquals(DeltaEvent.end("s1", 1790000009000L, 420, 1200),
                decode("{\"type\":\"end\",       \"stream_id\":\"s1\", \"ts\":1790000009000, \"final_output_tokens\":420, \"input_tokens\":1200}"));
    }

    @Test
    void tsIsOptionalAndNullMeansAbsent() {
        assertEquals(DeltaEvent.begin("s1", DeltaEvent.NO_TS), decode("{\"type\":\"begin\",\"stream_id\":\"s1\"}"));
        assertEquals(DeltaEvent.begin("s1", DeltaEvent.NO_TS), decode("{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":null}"));
        assertEquals(1234L, DeltaEvent.begin("s1", DeltaEvent.NO_TS).eventTime(1234L));
        assertEquals(99L, DeltaEvent.begin("s1", 99L).eventTime(1234L));
    }

    @Test
    void inputTokensDefaultToZeroOnEnd() {
        assertEquals(DeltaEvent.end("s1", 5, 420, 0), decode("{\"type\":\"end\",\"stream_id\":\"s1\",\"ts\":5,\"final_output_tokens\":420}"));
    }

    @Test
    void endCarriesOptionalReasoningAndCachedInputTokensAndRoundTrips() {
        DeltaEvent e = decode("{\"type\":\"end\",\"stream_id\":\"s1\",\"ts\":5,\"final_output_tokens\":420,\"input_tokens\":1200,"
                + "\"reasoning_tokens\":64,\"cached_input_tokens\":1024}");
        assertEquals(DeltaEvent.end("s1", 5, 420, 1200, 64, 1024), e);
        assertEquals("{\"type\":\"end\",\"stream_id\":\"s1\",\"ts\":5,\"final_output_tokens\":420,\"input_tokens\":1200,"
                + "\"reasoning_tokens\":64,\"cached_input_tokens\":1024}", new String(DeltaEventCodec.encode(e), StandardCharsets.UTF_8));
        DeltaEvent without = decode("{\"type\":\"end\",\"stream_id\":\"s1\",\"ts\":5,\"final_output_tokens\":420,\"reasoning_tokens\":null}");
        assertEquals(DeltaEvent.NOT_GIVEN, without.reasoningTokens());
        assertEquals(DeltaEvent.NOT_GIVEN, without.cachedInputTokens());
    }

    @Test
    void invalidReasoningOrCachedInputTokensAreInvalidCounts() {
        InvalidDeltaException negative = assertThrows(InvalidDeltaException.class, () -> decode(
                "{\"type\":\"end\",\"stream_id\":\"s1\",\"final_output_tokens\":1,\"reasoning_tokens\":-1}"));
        assertEquals(DeadLetterReason.INVALID_COUNT, negative.reason());
        assertEquals("reasoning_tokens must not be negative, got -1", negative.detail());
        InvalidDeltaException fraction = assertThrows(InvalidDeltaException.class, () -> decode(
                "{\"type\":\"end\",\"stream_id\":\"s1\",\"final_output_tokens\":1,\"cached_input_tokens\":1.5}"));
        assertEquals(DeadLetterReason.INVALID_COUNT, fraction.reason());
        assertEquals("cached_input_tokens must be a whole number, got 1.5", fraction.detail());
        InvalidDeltaException huge = assertThrows(InvalidDeltaException.class, () -> decode(
                "{\"type\":\"end\",\"stream_id\":\"s1\",\"final_output_tokens\":1,\"cached_input_tokens\":9223372036854775808}"));
        assertEquals("cached_input_tokens is beyond a signed 64-bit integer: 9223372036854775808", huge.detail());
        InvalidDeltaException text = assertThrows(InvalidDeltaException.class, () -> decode(
                "{\"type\":\"end\",\"stream_id\":\"s1\",\"final_output_tokens\":1,\"reasoning_tokens\":\"7\"}"));
        assertEquals("reasoning_tokens must be an integer, got a string", text.detail());
    }

    @Test
    void integralNumbersWrittenWithAFractionOrExponentAreAccepted() {
        assertEquals(DeltaEvent.output("s1", 2000, 40), decode("{\"type\":\"output\",\"stream_id\":\"s1\",\"ts\":2e3,\"running\":40.0}"));
    }

    @Test
    void fieldOrderDoesNotMatterAndUnknownFieldsAreSkipped() {
        assertEquals(DeltaEvent.reasoning("s1", 7, 3),
                decode("{\"x\":[{\"type\":\"end\"}],\"running\":3,\"ts\":7,\"stream_id\":\"s1\",\"type\":\"reasoning\",\"y\":{\"z\":1}}"));
    }

    @Test
    void countsOfOtherTypesAreNotRequired() {
        // begin carries no count; a stray one is ignored rather than validated
        assertEquals(DeltaEvent.begin("s1", 1), decode("{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":1,\"running\":-5}"));
    }

    @Test
    void streamIdLengthCountsCharactersNotBytesOrUtf16Units() {
        String emoji256 = "\uD83D\uDE00".repeat(256); // 256 characters, 512 UTF-16 units
        assertEquals(emoji256, decode("{\"type\":\"begin\",\"stream_id\":\"" + emoji256 + "\"}").streamId());
        InvalidDeltaException e = assertThrows(InvalidDeltaException.class,
                () -> decode("{\"type\":\"begin\",\"stream_id\":\"" + emoji256 + "x\"}"));
        assertEquals(DeadLetterReason.INVALID_STREAM_ID, e.reason());
    }

    @Test
    void encodeIsTheCanonicalWireFormAndRoundTrips() {
        DeltaEvent[] events = {
            DeltaEvent.begin("s1", 1790000000000L),
            DeltaEvent.output("s1", 1790000000250L, 1),
            DeltaEvent.reasoning("s1", 1790000000300L, 4),
            DeltaEvent.end("s1", 1790000009000L, 420, 1200),
            DeltaEvent.begin("s2", DeltaEvent.NO_TS)
        };
        String[] wire = {
            "{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":1790000000000}",
            "{\"type\":\"output\",\"stream_id\":\"s1\",\"ts\":1790000000250,\"running\":1}",
            "{\"type\":\"reasoning\",\"stream_id\":\"s1\",\"ts\":1790000000300,\"running\":4}",
            "{\"type\":\"end\",\"stream_id\":\"s1\",\"ts\":1790000009000,\"final_output_tokens\":420,\"input_tokens\":1200}",
            "{\"type\":\"begin\",\"stream_id\":\"s2\"}"
        };
        for (int i = 0; i < events.length; i++) {
            assertEquals(wire[i], new String(DeltaEventCodec.encode(events[i]), StandardCharsets.UTF_8));
            assertEquals(events[i], DeltaEventCodec.decode(DeltaEventCodec.encode(events[i])));
        }
    }

    @Test
    void utf8IsCheckedStrictly() {
        assertEquals(true, DeltaEventCodec.isUtf8("{\"stream_id\":\"s\u00e9\u4e2d\"}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(true, DeltaEventCodec.isUtf8(new byte[0]));
        assertEquals(false, DeltaEventCodec.isUtf8(new byte[] {'{', (byte) 0xff, '}'}));
        assertEquals(false, DeltaEventCodec.isUtf8(new byte[] {(byte) 0xc3})); // a sequence cut short
        assertEquals(false, DeltaEventCodec.isUtf8(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80})); // a lone surrogate
    }

    @Test
    void beginCarriesOptionalModelAndTenantAndRoundTrips() {
        DeltaEvent e = decode("{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":5,\"model\":\"llama-3-70b\",\"tenant\":\"acme\"}");
        assertEquals(DeltaEvent.begin("s1", 5, "llama-3-70b", "acme"), e);
        assertEquals("{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":5,\"model\":\"llama-3-70b\",\"tenant\":\"acme\"}",
                new String(DeltaEventCodec.encode(e), StandardCharsets.UTF_8));
        assertEquals(e, DeltaEventCodec.decode(DeltaEventCodec.encode(e)));
        assertEquals(DeltaEvent.begin("s1", 5, null, "acme"), decode("{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":5,\"model\":null,\"tenant\":\"acme\"}"));
    }

    @Test
    void eventsWithoutModelAndTenantHaveThemNull() {
        DeltaEvent e = decode("{\"type\":\"begin\",\"stream_id\":\"s1\",\"ts\":5}");
        assertEquals(null, e.model());
        assertEquals(null, e.tenant());
        // on other types the fields are ignored, like any unknown field
        assertEquals(DeltaEvent.output("s1", 6, 2), decode("{\"type\":\"output\",\"stream_id\":\"s1\",\"ts\":6,\"running\":2,\"model\":7}"));
    }

    @Test
    void modelAndTenantLengthCountsCharacters() {
        String emoji256 = "\uD83D\uDE00".repeat(256);
        assertEquals(emoji256, decode("{\"type\":\"begin\",\"stream_id\":\"s\",\"model\":\"" + emoji256 + "\"}").model());
        InvalidDeltaException e = assertThrows(InvalidDeltaException.class,
                () -> decode("{\"type\":\"begin\",\"stream_id\":\"s\",\"tenant\":\"" + emoji256 + "x\"}"));
        assertEquals(DeadLetterReason.INVALID_TENANT, e.reason());
        assertEquals("tenant must be at most 256 characters, got 257", e.detail());
    }
}
