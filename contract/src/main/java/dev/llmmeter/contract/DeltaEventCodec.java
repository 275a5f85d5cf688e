package dev.llmmeter.contract;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import static dev.llmmeter.contract.DeadLetterReason.INVALID_COUNT;
import static dev.llmmeter.contract.DeadLetterReason.INVALID_MODEL;
import static dev.llmmeter.contract.DeadLetterReason.INVALID_TENANT;
import static dev.llmmeter.contract.DeadLetterReason.INVALID_STREAM_ID;
import static dev.llmmeter.contract.DeadLetterReason.INVALID_TS;
import static dev.llmmeter.contract.DeadLetterReason.MALFORMED_JSON;
import static dev.llmmeter.contract.DeadLetterReason.MISSING_COUNT;
import static dev.llmmeter.contract.DeadLetterReason.MISSING_STREAM_ID;
import static dev.llmmeter.contract.DeadLetterReason.MISSING_TYPE;
import static dev.llmmeter.contract.DeadLetterReason.NOT_AN_OBJECT;
import static dev.llmmeter.contract.DeadLetterReason.UNKNOWN_TYPE;

/**
 * Decodes and validates delta events from their UTF-8 JSON wire form, and encodes them.
 *
 * <p>Decoding is a single streaming pass (no tree, no reflection): it runs once per input record.
 * Every way a value can break the contract ends in an {@link InvalidDeltaException} naming the reason.
 * Unknown fields are skipped, for forward compatibility.
 */
public final class DeltaEventCodec {
    public static final int MAX_STREAM_ID_LENGTH = 256;
    /** The most characters a begin's {@code model} or {@code tenant} may have. */
    public static final int MAX_LABEL_LENGTH = 256;

    private static final JsonFactory JSON = JsonFactory.builder().build();

    private DeltaEventCodec() {
    }

    /**
     * Decodes and validates one value. Values in the simple form producers write (the canonical encoding,
     * or any plain-ASCII object of the known fields with unescaped strings and integer counts) take a
     * hand-written single pass ({@link SimpleForm}); everything else, valid or not, takes the full Jackson
     * pass, which alone decides what is rejected and why. Both give the same event for every value the
     * simple pass accepts.
     *
     * @throws InvalidDeltaException when the value breaks the wire contract
     */
    public static DeltaEvent decode(byte[] value) {
        if (value != null) {
            DeltaEvent simple = SimpleForm.decode(value);
            if (simple != null) {
                return simple;
            }
        }
        return decodeFully(value);
    }

    /** The full decoder: any JSON, every check, the reason for each rejection. */
    static DeltaEvent decodeFully(byte[] value) {
        if (value == null) {
            throw new InvalidDeltaException(MALFORMED_JSON, "record value is null (a tombstone), expected a JSON object");
        }
        requireUtf8(value);
        try (JsonParser p = JSON.createParser(value)) {
            return decodeObject(p);
        } catch (JsonProcessingException e) {
            throw new InvalidDeltaException(MALFORMED_JSON, e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen on a byte array
        }
    }

    private static DeltaEvent decodeObject(JsonParser p) throws IOException {
        JsonToken first = p.nextToken();
        if (first == null) {
            throw new InvalidDeltaException(MALFORMED_JSON, "empty value, expected a JSON object");
        }
        if (first != JsonToken.START_OBJECT) {
            p.skipChildren();
            requireEnd(p);
            throw new InvalidDeltaException(NOT_AN_OBJECT, "expected a JSON object, got " + describe(first));
        }
        String typeName = null;
        String typeProblem = null;
        String streamId = null;
        String streamIdProblem = null;
        boolean streamIdSeen = false;
        Count ts = Count.ABSENT;
        Count running = Count.ABSENT;
        Count finalOutput = Count.ABSENT;
        Count input = Count.ABSENT;
        Count reasoning = Count.ABSENT;
        Count cached = Count.ABSENT;
        Label model = Label.ABSENT;
        Label tenant = Label.ABSENT;

        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken v = p.nextToken();
            switch (field) {
                case "type" -> {
                    if (v == JsonToken.VALUE_STRING) {
                        typeName = p.getText();
                        typeProblem = null;
                    } else {
                        typeName = null;
                        typeProblem = v == JsonToken.VALUE_NULL ? null : "type must be a string, got " + describe(v);
                    }
                }
                case "stream_id" -> {
                    streamIdSeen = v != JsonToken.VALUE_NULL;
                    streamId = v == JsonToken.VALUE_STRING ? p.getText() : null;
                    streamIdProblem = streamIdSeen && streamId == null
                            ? "stream_id must be a string, got " + describe(v) : null;
                }
                case "ts" -> ts = Count.read(p, v);
                case "running" -> running = Count.read(p, v);
                case "final_output_tokens" -> finalOutput = Count.read(p, v);
                case "input_tokens" -> input = Count.read(p, v);
                case "reasoning_tokens" -> reasoning = Count.read(p, v);
                case "cached_input_tokens" -> cached = Count.read(p, v);
                case "model" -> model = Label.read(p, v);
                case "tenant" -> tenant = Label.read(p, v);
                default -> {
                    // unknown field: ignored, for forward compatibility
                }
            }
            p.skipChildren(); // no-op on scalars; skips objects and arrays, known fields' included

        }
        if (t != JsonToken.END_OBJECT) {
            throw new InvalidDeltaException(MALFORMED_JSON, "unexpected " + describe(t));
        }
        requireEnd(p);

        if (typeName == null) {
            throw typeProblem != null
                    ? new InvalidDeltaException(UNKNOWN_TYPE, typeProblem)
                    : new InvalidDeltaException(MISSING_TYPE, "type is missing");
        }
        EventType type = EventType.fromWireName(typeName);
        if (type == null) {
            throw new InvalidDeltaException(UNKNOWN_TYPE,
                    "type must be one of begin, output, reasoning, end; got \"" + abbreviate(typeName) + "\"");
        }
        if (!streamIdSeen) {
            throw new InvalidDeltaException(MISSING_STREAM_ID, "stream_id is missing");
        }
        if (streamIdProblem != null) {
            throw new InvalidDeltaException(INVALID_STREAM_ID, streamIdProblem);
        }
        validateStreamId(streamId);
        long eventTs = ts.present() ? ts.require("ts", INVALID_TS) : DeltaEvent.NO_TS;
        return switch (type) {
            case BEGIN -> DeltaEvent.begin(streamId, eventTs, model.require("model", INVALID_MODEL),
                    tenant.require("tenant", INVALID_TENANT));
            case OUTPUT -> DeltaEvent.output(streamId, eventTs, running.requireCount("running"));
            case REASONING -> DeltaEvent.reasoning(streamId, eventTs, running.requireCount("running"));
            case END -> DeltaEvent.end(streamId, eventTs, finalOutput.requireCount("final_output_tokens"),
                    input.present() ? input.requireCount("input_tokens") : 0L,
                    reasoning.present() ? reasoning.requireCount("reasoning_tokens") : DeltaEvent.NOT_GIVEN,
                    cached.present() ? cached.requireCount("cached_input_tokens") : DeltaEvent.NOT_GIVEN);
        };
    }

    private static void validateStreamId(String streamId) {
        if (streamId.isEmpty()) {
            throw new InvalidDeltaException(INVALID_STREAM_ID, "stream_id must not be empty");
        }
        if (streamId.length() > MAX_STREAM_ID_LENGTH
                && streamId.codePointCount(0, streamId.length()) > MAX_STREAM_ID_LENGTH) {
            throw new InvalidDeltaException(INVALID_STREAM_ID, "stream_id must be at most " + MAX_STREAM_ID_LENGTH
                    + " characters, got " + streamId.codePointCount(0, streamId.length()));
        }
    }

    private static void requireEnd(JsonParser p) throws IOException {
        JsonToken extra = p.nextToken();
        if (extra != null) {
            throw new InvalidDeltaException(MALFORMED_JSON, "unexpected content after the JSON value: " + describe(extra));
        }
    }

    private static void requireUtf8(byte[] value) {
        if (!isUtf8(value)) {
            throw new InvalidDeltaException(MALFORMED_JSON, "value is not valid UTF-8");
        }
    }

    /**
     * Whether {@code bytes} are strictly valid UTF-8, the contract's first requirement of a value (also used to
     * show a dead letter as text or as bytes). ASCII, the common case, costs one pass over the bytes.
     */
    public static boolean isUtf8(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                try {
                    StandardCharsets.UTF_8.newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(bytes));
                    return true;
                } catch (CharacterCodingException e) {
                    return false;
                }
            }
        }
        return true;
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "end of input";
        }
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.asString() != null ? "'" + t.asString() + "'" : t.name();
        };
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    /**
     * A begin's optional {@code model} or {@code tenant} as read: absent (or null), a string of 1 to
     * {@link #MAX_LABEL_LENGTH} characters, or why it is not one. Other types ignore the field, like any unknown one.
     */
    private record Label(String value, String problem) {
        static final Label ABSENT = new Label(null, null);

        static Label read(JsonParser p, JsonToken v) throws IOException {
            if (v == JsonToken.VALUE_NULL) {
                return ABSENT;
            }
            if (v != JsonToken.VALUE_STRING) {
                return new Label(null, "must be a string, got " + describe(v));
            }
            String s = p.getText();
            if (s.isEmpty()) {
                return new Label(null, "must not be empty");
            }
            if (s.length() > MAX_LABEL_LENGTH && s.codePointCount(0, s.length()) > MAX_LABEL_LENGTH) {
                return new Label(null, "must be at most " + MAX_LABEL_LENGTH + " characters, got " + s.codePointCount(0, s.length()));
            }
            return new Label(s, null);
        }

        String require(String name, DeadLetterReason reason) {
            if (problem != null) {
                throw new InvalidDeltaException(reason, name + " " + problem);
            }
            return value;
        }
    }

    /**
     * A non-negative integer field as read: its value, or why it is not one. Integral numbers written
     * with a fraction or exponent ({@code 4.0}, {@code 4e2}) are accepted: they denote the same count.
     */
    private record Count(boolean present, long value, String problem) {
        static final Count ABSENT = new Count(false, 0, null);

        static Count read(JsonParser p, JsonToken v) throws IOException {
            return switch (v) {
                case VALUE_NULL -> ABSENT;
                case VALUE_NUMBER_INT -> p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? new Count(true, 0, "is beyond a signed 64-bit integer: " + p.getText())
                        : nonNegative(p.getLongValue());
                case VALUE_NUMBER_FLOAT -> fromDecimal(p.getDecimalValue(), p.getText());
                default -> new Count(true, 0, "must be an integer, got " + describe(v));
            };
        }

        private static Count fromDecimal(BigDecimal d, String text) {
            BigDecimal integral = d.stripTrailingZeros();
            if (integral.scale() > 0) {
                return new Count(true, 0, "must be a whole number, got " + text);
            }
            try {
                return nonNegative(integral.longValueExact());
            } catch (ArithmeticException e) {
                return new Count(true, 0, "is beyond a signed 64-bit integer: " + text);
            }
        }

        private static Count nonNegative(long n) {
            return n < 0 ? new Count(true, n, "must not be negative, got " + n) : new Count(true, n, null);
        }

        long require(String name, DeadLetterReason reason) {
            if (problem != null) {
                throw new InvalidDeltaException(reason, name + " " + problem);
            }
            return value;
        }

        long requireCount(String name) {
            if (!present) {
                throw new InvalidDeltaException(MISSING_COUNT, name + " is missing");
            }
            return require(name, INVALID_COUNT);
        }
    }

    /** The canonical wire form: fields in the documented order, {@code ts} omitted when absent. */
    public static byte[] encode(DeltaEvent e) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(96);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("type", e.type().wireName());
            g.writeStringField("stream_id", e.streamId());
            if (e.hasTs()) {
                g.writeNumberField("ts", e.ts());
            }
            switch (e.type()) {
                case OUTPUT, REASONING -> g.writeNumberField("running", e.running());
                case END -> {
                    g.writeNumberField("final_output_tokens", e.finalOutputTokens());
                    g.writeNumberField("input_tokens", e.inputTokens());
                    if (e.reasoningTokens() != DeltaEvent.NOT_GIVEN) {
                        g.writeNumberField("reasoning_tokens", e.reasoningTokens());
                    }
                    if (e.cachedInputTokens() != DeltaEvent.NOT_GIVEN) {
                        g.writeNumberField("cached_input_tokens", e.cachedInputTokens());
                    }
                }
                case BEGIN -> {
                    if (e.model() != null) {
                        g.writeStringField("model", e.model());
                    }
                    if (e.tenant() != null) {
                        g.writeStringField("tenant", e.tenant());
                    }
                }
            }
            g.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }
}
