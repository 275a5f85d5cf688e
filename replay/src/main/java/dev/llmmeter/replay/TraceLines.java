package dev.llmmeter.replay;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * The lines of a trace as raw bytes, never decoded as text: a line is whatever lies between two {@code \n}
 * (a trailing {@code \r} is dropped), so a line that is not UTF-8 reaches the topology exactly as it would on
 * Kafka, as a value to be dead-lettered, instead of failing a character decoder. Lines of nothing but spaces,
 * tabs and {@code \r} are skipped.
 */
final class TraceLines implements AutoCloseable {
    private final InputStream in;
    private final String source;
    private byte[] buf = new byte[1 << 16];
    private int pos;   // next unread byte in buf
    private int limit; // end of the bytes read into buf
    private boolean eof;
    private long lineNumber;

    /** @param source names the input in read errors, e.g. the file name */
    TraceLines(InputStream in, String source) {
        this.in = in;
        this.source = source;
    }

    /** The next non-blank line without its line end, or null at the end of the input. */
    byte[] next() throws IOException {
        while (true) {
            byte[] line = nextLine();
            if (line == null) {
                return null;
            }
            lineNumber++;
            if (!isBlank(line)) {
                return line;
            }
        }
    }

    /** The number (from 1, blank lines counted) of the line {@link #next()} returned last. */
    long lineNumber() {
        return lineNumber;
    }

    private byte[] nextLine() throws IOException {
        int scanned = pos;
        while (true) {
            for (int i = scanned; i < limit; i++) {
                if (buf[i] == '\n') {
                    byte[] line = copy(pos, i);
                    pos = i + 1;
                    return line;
                }
            }
            scanned = limit;
            if (eof) {
                if (pos == limit) {
                    return null;
                }
                byte[] line = copy(pos, limit); // the last line has no line end
                pos = limit;
                return line;
            }
            scanned -= pos;
            fill();
        }
    }

    /** Moves the unread bytes to the front, grows the buffer when a line fills it, and reads more. */
    private void fill() throws IOException {
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, limit - pos);
            limit -= pos;
            pos = 0;
        }
        if (limit == buf.length) {
            buf = Arrays.copyOf(buf, buf.length * 2);
        }
        int n;
        try {
            n = in.read(buf, limit, buf.length - limit);
        } catch (IOException e) {
            throw new IOException("cannot read " + source + ": " + e.getMessage(), e);
        }
        if (n < 0) {
            eof = true;
        } else {
            limit += n;
        }
    }

    private byte[] copy(int from, int to) {
        if (to > from && buf[to - 1] == '\r') {
            to--;
        }
        return Arrays.copyOfRange(buf, from, to);
    }

    private static boolean isBlank(byte[] line) {
        for (byte b : line) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
