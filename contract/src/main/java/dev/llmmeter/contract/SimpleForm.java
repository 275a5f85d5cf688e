package dev.llmmeter.contract;

/**
 * The fast path of {@link DeltaEventCodec#decode}: one pass over the bytes for values in the simple form,
 * no parser object, no intermediate strings. It accepts exactly this, and returns null for anything else
 * (which then goes through the full decoder, so it is never the one to reject a value):
 * <ul>
 *   <li>an object, with JSON whitespace around tokens, of the fields {@code type}, {@code stream_id},
 *       {@code ts}, {@code running}, {@code final_output_tokens}, {@code input_tokens}, in any order, each
 *       at most once (names written plainly, no escapes), and nothing after it but whitespace;</li>
 *   <li>{@code type}: one of the four type names; {@code stream_id}: 1 to 256 printable ASCII characters
 *       other than {@code "} and {@code \} (no escapes); the numbers: non-negative integers in plain
 *       notation ({@code 0}, or no leading zero) of at most 18 digits (so within 64 bits);</li>
 *   <li>the count the type requires present ({@code running} for output and reasoning,
 *       {@code final_output_tokens} for end).</li>
 * </ul>
 * Each such value is valid JSON, valid UTF-8 and within the contract, and the full decoder gives the same
 * event for it (counts a type does not use are ignored by both); {@code SimpleFormTest} checks the
 * two against each other on many variations.
 */
final class SimpleForm {
    private static final byte[] TYPE = ascii("type");
    private static final byte[] STREAM_ID = ascii("stream_id");
    private static final byte[] TS = ascii("ts");
    private static final byte[] RUNNING = ascii("running");
    private static final byte[] FINAL_OUTPUT_TOKENS = ascii("final_output_tokens");
    private static final byte[] INPUT_TOKENS = ascii("input_tokens");
    private static final byte[] BEGIN = ascii("begin");
    private static final byte[] OUTPUT = ascii("output");
    private static final byte[] REASONING = ascii("reasoning");
    private static final byte[] END = ascii("end");
    /** Marks a count not (yet) seen; counts are never negative. */
    private static final long ABSENT = -1;
    private static final int MAX_DIGITS = 18;
    /** Bytes a simple string may hold as they are: printable ASCII but the quote and the backslash. */
    private static final boolean[] PLAIN = new boolean[256];

    static {
        for (int c = 0x20; c < 0x7f; c++) {
            PLAIN[c] = c != '"' && c != '\\';
        }
    }

    private SimpleForm() {
    }

    /** @return the event, or null when the value is not in the simple form (it may still be valid) */
    static DeltaEvent decode(byte[] b) {
        int n = b.length;
        int i = ws(b, 0);
        if (i >= n || b[i] != '{') {
            return null;
        }
        i++;
        EventType type = null;
        String streamId = null;
        long ts = ABSENT;
        long running = ABSENT;
        long finalOutput = ABSENT;
        long input = ABSENT;
        while (true) {
            i = ws(b, i);
            if (i >= n || b[i] != '"') {
                return null;
            }
            i++;
            byte[] name = fieldAt(b, i);
            if (name == null) {
                return null;
            }
            i = ws(b, i + name.length + 1);
            if (i >= n || b[i] != ':') {
                return null;
            }
            i = ws(b, i + 1);
            if (i >= n) {
                return null;
            }
            if (name == TYPE || name == STREAM_ID) {
                if (b[i] != '"') {
                    return null;
                }
                int start = ++i;
                while (i < n && PLAIN[b[i] & 0xff]) {
                    i++;
                }
                if (i >= n || b[i] != '"') {
                    return null;
                }
                int len = i - start;
                i++;
                if (name == TYPE) {
                    if (type != null) {
                        return null;
                    }
                    type = typeAt(b, start, len);
                    if (type == null) {
                        return null;
                    }
                } else {
                    if (streamId != null || len == 0 || len > DeltaEventCodec.MAX_STREAM_ID_LENGTH) {
                        return null;
                    }
                    streamId = new String(b, start, len, java.nio.charset.StandardCharsets.ISO_8859_1);
                }
            } else {
                long v = 0;
                int start = i;
                if (b[i] == '0') {
                    i++;
                } else if (b[i] >= '1' && b[i] <= '9') {
                    while (i < n && b[i] >= '0' && b[i] <= '9') {
                        if (i - start == MAX_DIGITS) {
                            return null;
                        }
                        v = v * 10 + (b[i] - '0');
                        i++;
                    }
                } else {
                    return null;
                }
                if (i < n && (b[i] == '.' || b[i] == 'e' || b[i] == 'E' || (b[i] >= '0' && b[i] <= '9'))) {
                    return null;
                }
                if (name == TS) {
                    if (ts != ABSENT) {
                        return null;
                    }
                    ts = v;
                } else if (name == RUNNING) {
                    if (running != ABSENT) {
                        return null;
                    }
                    running = v;
                } else if (name == FINAL_OUTPUT_TOKENS) {
                    if (finalOutput != ABSENT) {
                        return null;
                    }
                    finalOutput = v;
                } else {
                    if (input != ABSENT) {
                        return null;
                    }
                    input = v;
                }
            }
            i = ws(b, i);
            if (i >= n) {
                return null;
            }
            byte c = b[i++];
            if (c == '}') {
                break;
            }
            if (c != ',') {
                return null;
            }
        }
        if (ws(b, i) != n || type == null || streamId == null) {
            return null;
        }
        long eventTs = ts == ABSENT ? DeltaEvent.NO_TS : ts;
        return switch (type) {
            case BEGIN -> DeltaEvent.begin(streamId, eventTs);
            case OUTPUT -> running == ABSENT ? null : DeltaEvent.output(streamId, eventTs, running);
            case REASONING -> running == ABSENT ? null : DeltaEvent.reasoning(streamId, eventTs, running);
            case END -> finalOutput == ABSENT ? null
                    : DeltaEvent.end(streamId, eventTs, finalOutput, input == ABSENT ? 0 : input);
        };
    }

    /** @return the known field whose name (then a closing quote) starts at {@code i}, or null */
    private static byte[] fieldAt(byte[] b, int i) {
        if (i >= b.length) {
            return null;
        }
        byte[] name = switch (b[i]) {
            case 't' -> i + 1 < b.length && b[i + 1] == 's' ? TS : TYPE;
            case 's' -> STREAM_ID;
            case 'r' -> RUNNING;
            case 'f' -> FINAL_OUTPUT_TOKENS;
            case 'i' -> INPUT_TOKENS;
            default -> null;
        };
        return name != null && matches(b, i, name) && i + name.length < b.length && b[i + name.length] == '"' ? name : null;
    }

    private static EventType typeAt(byte[] b, int start, int len) {
        return switch (len) {
            case 5 -> matches(b, start, BEGIN) ? EventType.BEGIN : null;
            case 6 -> matches(b, start, OUTPUT) ? EventType.OUTPUT : null;
            case 9 -> matches(b, start, REASONING) ? EventType.REASONING : null;
            case 3 -> matches(b, start, END) ? EventType.END : null;
            default -> null;
        };
    }

    private static boolean matches(byte[] b, int i, byte[] word) {
        if (i + word.length > b.length) {
            return false;
        }
        for (int k = 0; k < word.length; k++) {
            if (b[i + k] != word[k]) {
                return false;
            }
        }
        return true;
    }

    /** Skips JSON whitespace (space, tab, line feed, carriage return). */
    private static int ws(byte[] b, int i) {
        while (i < b.length && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) {
            i++;
        }
        return i;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
