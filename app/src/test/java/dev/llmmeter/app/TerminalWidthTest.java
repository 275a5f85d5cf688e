package dev.llmmeter.app;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class TerminalWidthTest {
    @Test
    void columnsWhenSetIsTakenAndTheTerminalNotAsked() {
        AtomicInteger asked = new AtomicInteger();
        assertEquals(132, new TerminalWidth("132", () -> {
            asked.incrementAndGet();
            return 200;
        }).getAsInt());
        assertEquals(0, asked.get());
    }

    @Test
    void withoutUsableColumnsTheTerminalIsAskedAndWithoutATerminalItIsEightyColumns() {
        assertEquals(200, new TerminalWidth(null, () -> 200).getAsInt());
        assertEquals(200, new TerminalWidth("0", () -> 200).getAsInt());
        assertEquals(200, new TerminalWidth("wide", () -> 200).getAsInt());
        assertEquals(80, new TerminalWidth(null, () -> null).getAsInt());
        assertEquals(80, TerminalWidth.DEFAULT);
    }

    @Test
    void theTerminalIsAskedAgainOnlyAfterTwoSeconds() {
        AtomicInteger asked = new AtomicInteger();
        TerminalWidth width = new TerminalWidth(null, () -> 100 + asked.incrementAndGet());
        assertEquals(101, width.getAsInt());
        assertEquals(101, width.getAsInt());
        assertEquals(1, asked.get());
    }

    @Test
    void sttySizeGivesRowsThenColumns() {
        assertEquals(80, TerminalWidth.parseSttySize("24 80\n"));
        assertEquals(200, TerminalWidth.parseSttySize("0 200"));
        assertNull(TerminalWidth.parseSttySize("0 0"), "a pty not sized yet");
        assertNull(TerminalWidth.parseSttySize(""));
        assertNull(TerminalWidth.parseSttySize("stty: 'standard input': Inappropriate ioctl for device"));
    }
}
