package dev.llmmeter.app;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** 'tail' shows each tick once: at-least-once may publish one twice. */
class TailDeduplicationTest {
    private static final long T = 1_790_000_000_000L;

    private static String stats(double tps, long ts) {
        return "{\"tps\":" + tps + ",\"tps_available\":true,\"estimated\":false,\"high\":" + tps + ",\"low\":" + tps
                + ",\"active\":3,\"ts\":" + ts + "}";
    }

    @Test
    void aRepeatedTickIsPrintedOnceAndAFarFutureTickSilencesNothing() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Predicate<byte[]> printer = TailCommand.printer(out, true);
        String[] received = {
            stats(10.0, T),
            stats(11.0, T + 1000),
            stats(11.5, T + 1000),          // the same tick again, recomputed after a crash: a repeat
            stats(10.0, T),                 // an older repeat
            stats(12.0, T + 2000),
            stats(13.0, T + 999_000_000),   // a bad clock's far-future tick...
            stats(14.0, T + 3000),          // ...does not hide the ticks after it
            stats(14.0, T + 3000),
            "not a stats record",           // --json hides nothing it cannot read
        };
        int shown = 0;
        for (String r : received) {
            shown += printer.test(r.getBytes(StandardCharsets.UTF_8)) ? 1 : 0;
        }
        assertEquals(String.join("\n",
                stats(10.0, T),
                stats(11.0, T + 1000),
                stats(12.0, T + 2000),
                stats(13.0, T + 999_000_000),
                stats(14.0, T + 3000),
                "not a stats record") + "\n", bytes.toString(StandardCharsets.UTF_8));
        assertEquals(6, shown, "--max-records counts what was shown");
    }

    @Test
    void theViewDrawsARepeatedTickOnce() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Predicate<byte[]> printer = TailCommand.printer(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
        assertTrue(printer.test(stats(10.0, T).getBytes(StandardCharsets.UTF_8)));
        assertFalse(printer.test(stats(10.0, T).getBytes(StandardCharsets.UTF_8)));
        assertTrue(printer.test(stats(10.0, T + 1000).getBytes(StandardCharsets.UTF_8)));
        assertEquals(2, bytes.toString(StandardCharsets.UTF_8).split("\r\u001b\\[2K", -1).length - 1);
    }

}
