package dev.llmmeter.replay;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TraceLinesTest {

    static List<String> read(InputStream in) throws IOException {
        List<String> lines = new ArrayList<>();
        try (TraceLines t = new TraceLines(in, "test.jsonl")) {
            byte[] line;
            while ((line = t.next()) != null) {
                lines.add(Arrays.toString(line));
            }
        }
        return lines;
    }

    static List<String> read(byte[] bytes) throws IOException {
        return read(new ByteArrayInputStream(bytes));
    }

    static String bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return Arrays.toString(out);
    }

    @Test
    void linesAreSplitOnNewlineWithATrailingCarriageReturnDroppedAndBytesKeptAsTheyAre() throws IOException {
        byte[] in = {'a', '\r', '\n', (byte) 0xff, (byte) 0xfe, '\n', 'b', '\r', 'c', '\n', 'd'};
        assertEquals(List.of(bytes('a'), bytes(0xff, 0xfe), bytes('b', '\r', 'c'), bytes('d')), read(in));
    }

    @Test
    void blankLinesAreSkipped() throws IOException {
        byte[] in = "\n \t\r\n\r\nx\n\n".getBytes(StandardCharsets.US_ASCII);
        assertEquals(List.of(bytes('x')), read(in));
    }

    @Test
    void anEmptyInputHasNoLines() throws IOException {
        assertEquals(List.of(), read(new byte[0]));
    }

    @Test
    void aLineLongerThanTheBufferIsReadWhole() throws IOException {
        byte[] longLine = new byte[200_000];
        Arrays.fill(longLine, (byte) 'x');
        byte[] in = new byte[longLine.length * 2 + 2];
        System.arraycopy(longLine, 0, in, 0, longLine.length);
        in[longLine.length] = '\n';
        System.arraycopy(longLine, 0, in, longLine.length + 1, longLine.length);
        in[in.length - 1] = '\n';
        assertEquals(List.of(Arrays.toString(longLine), Arrays.toString(longLine)), read(in));
    }

    @Test
    void linesSplitAcrossReadsAreJoined() throws IOException {
        byte[] in = "ab\r\ncd\nef".getBytes(StandardCharsets.US_ASCII);
        InputStream oneByteAtATime = new ByteArrayInputStream(in) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1));
            }
        };
        assertEquals(List.of(bytes('a', 'b'), bytes('c', 'd'), bytes('e', 'f')), read(oneByteAtATime));
    }

    @Test
    void aReadErrorNamesTheInput() {
        InputStream failing = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("Is a directory");
            }
        };
        IOException e = assertThrows(IOException.class, () -> read(failing));
        assertEquals("cannot read test.jsonl: Is a directory", e.getMessage());
    }
}
