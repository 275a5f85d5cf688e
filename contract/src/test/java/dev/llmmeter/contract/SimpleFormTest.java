package dev.llmmeter.contract;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The fast path must never change an outcome: whatever it accepts, the full decoder accepts with the same
 * event; whatever else, it leaves to the full decoder.
 */
class SimpleFormTest {
    private static final String[] BASES = {
        "{\"type\":\"begin\",\"stream_id\":\"sim-1-42\",\"ts\":1790000000000}",
        "{\"type\":\"output\",\"stream_id\":\"sim-1-42\",\"ts\":1790000000250,\"running\":17}",
        "{\"type\":\"reasoning\",\"stream_id\":\"s\",\"ts\":0,\"running\":0}",
        "{\"type\":\"end\",\"stream_id\":\"s1\",\"ts\":1790000009000,\"final_output_tokens\":420,\"input_tokens\":1200}",
        "{\"type\":\"end\",\"stream_id\":\"s1\",\"final_output_tokens\":420}",
        "{ \"running\" : 3 ,\n\"stream_id\":\"a b\",\t\"type\":\"output\" }\r\n",
        "{\"type\":\"begin\",\"stream_id\":\"s\",\"running\":5,\"final_output_tokens\":1,\"input_tokens\":2}",
    };
    private static final byte[] ALPHABET = ("{}[]\":,.-+eE0123456789 \t\n\r\\/unltrfabcdgpsxyz_"
            + "\u0000\u001f\u007f").getBytes(StandardCharsets.ISO_8859_1);

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theSimpleFormDecodesLikeTheFullDecoder() {
        for (String base : BASES) {
            DeltaEvent simple = SimpleForm.decode(bytes(base));
            assertNotNull(simple, base);
            assertEquals(DeltaEventCodec.decodeFully(bytes(base)), simple, base);
        }
    }

    @Test
    void anythingElseIsLeftToTheFullDecoder() {
        String[] others = {
            "{\"type\":\"begin\",\"stream_id\":\"s\",\"ts\":null}",          // null: valid, but not simple
            "{\"type\":\"output\",\"stream_id\":\"s\",\"running\":40.0}",    // fraction
            "{\"type\":\"output\",\"stream_id\":\"s\",\"running\":4e1}",     // exponent
            "{\"type\":\"begin\",\"stream_id\":\"s\",\"model\":\"x\"}",      // unknown field
            "{\"type\":\"begin\",\"stream_id\":\"s\\u0041\"}",               // escape
            "{\"type\":\"begin\",\"stream_id\":\"s\",\"type\":\"end\"}",     // duplicate
            "{\"type\":\"begin\",\"stream_id\":\"sé\"}",                     // non-ASCII
            "{\"type\":\"output\",\"stream_id\":\"s\"}",                     // missing count
            "{\"type\":\"begin\",\"stream_id\":\"s\",\"ts\":01}",            // leading zero
            "{\"type\":\"begin\",\"stream_id\":\"s\",\"ts\":1234567890123456789}", // 19 digits
            "{\"type\":\"begin\",\"stream_id\":\"\"}",                       // empty id
            "{\"type\":\"begin\",\"stream_id\":\"" + "x".repeat(257) + "\"}", // long id
            "{\"type\":\"begin\",\"stream_id\":\"s\"} x",                    // trailing content
            "{\"type\":\"begin\",\"stream_id\":\"s\",}",                     // trailing comma
            "{}", "[]", "", "null",
        };
        for (String o : others) {
            assertNull(SimpleForm.decode(bytes(o)), o);
        }
    }

    /** Random edits of simple values: every one the fast path accepts, the full decoder accepts identically. */
    @Test
    void randomVariationsNeverDisagree() {
        SplittableRandom rnd = new SplittableRandom(5);
        int accepted = 0;
        int rejected = 0;
        for (int n = 0; n < 200_000; n++) {
            byte[] b = mutate(bytes(BASES[rnd.nextInt(BASES.length)]), rnd);
            DeltaEvent simple = SimpleForm.decode(b);
            if (simple == null) {
                rejected++;
                continue;
            }
            accepted++;
            try {
                assertEquals(DeltaEventCodec.decodeFully(b), simple, () -> new String(b, StandardCharsets.ISO_8859_1));
            } catch (InvalidDeltaException e) {
                fail("the fast path accepted what the full decoder rejects (" + e.getMessage() + "): "
                        + new String(b, StandardCharsets.ISO_8859_1));
            }
        }
        assertTrue(accepted > 10_000 && rejected > 10_000, "accepted " + accepted + ", rejected " + rejected);
    }

    private static byte[] mutate(byte[] base, SplittableRandom rnd) {
        List<Byte> b = new ArrayList<>(base.length + 8);
        for (byte x : base) {
            b.add(x);
        }
        int edits = rnd.nextInt(3);
        for (int e = 0; e < edits; e++) {
            int at = rnd.nextInt(b.size() + 1);
            byte c = ALPHABET[rnd.nextInt(ALPHABET.length)];
            if (rnd.nextInt(8) == 0) {
                c = (byte) (0x80 + rnd.nextInt(0x80)); // a non-ASCII byte
            }
            switch (rnd.nextInt(3)) {
                case 0 -> b.add(at, c);
                case 1 -> {
                    if (at < b.size()) {
                        b.remove(at);
                    }
                }
                default -> {
                    if (at < b.size()) {
                        b.set(at, c);
                    }
                }
            }
        }
        byte[] out = new byte[b.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.get(i);
        }
        return out;
    }
}
