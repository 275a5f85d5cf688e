package dev.llmmeter.app;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The width of the terminal the view is drawn in, in columns: {@code $COLUMNS} when it is set to a positive number,
 * else what {@code stty size} says of the controlling terminal ({@code /dev/tty}), else {@link #DEFAULT} (no
 * terminal: output to a file or a pipe in a process that has none, as under a service manager or a container run
 * without a tty). The terminal is asked again at most every {@link #RECHECK_NANOS} so a resized window is followed.
 */
final class TerminalWidth implements IntSupplier {
    /** The width used when none can be found: the classic terminal's 80 columns (Python's shutil takes the same). */
    static final int DEFAULT = 80;
    static final long RECHECK_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final File TTY = new File("/dev/tty");

    private final String columnsVariable;
    private final Supplier<Integer> terminal;
    private long askedAt;
    private int width;
    private boolean asked;

    /**
     * @param columnsVariable the value of {@code $COLUMNS}, or null
     * @param terminal        asks the terminal its width: null when there is none
     */
    TerminalWidth(String columnsVariable, Supplier<Integer> terminal) {
        this.columnsVariable = columnsVariable;
        this.terminal = terminal;
    }

    /** The width from this process's environment and terminal. */
    static TerminalWidth ofThisProcess() {
        return new TerminalWidth(System.getenv("COLUMNS"), TerminalWidth::askTerminal);
    }

    @Override
    public int getAsInt() {
        Integer fromVariable = positive(columnsVariable);
        if (fromVariable != null) {
            return fromVariable;
        }
        long now = System.nanoTime();
        if (!asked || now - askedAt >= RECHECK_NANOS) {
            Integer fromTerminal = terminal.get();
            width = fromTerminal == null ? DEFAULT : fromTerminal;
            asked = true;
            askedAt = now;
        }
        return width;
    }

    /** {@code stty size} ("ROWS COLUMNS") on the controlling terminal; null when there is none or it says nothing usable. */
    private static Integer askTerminal() {
        if (!TTY.exists()) {
            return null;
        }
        try {
            Process stty = new ProcessBuilder("stty", "size").redirectInput(ProcessBuilder.Redirect.from(TTY))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(stty.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (!stty.waitFor(2, TimeUnit.SECONDS) || stty.exitValue() != 0) {
                stty.destroyForcibly();
                return null;
            }
            return parseSttySize(out);
        } catch (IOException e) {
            return null; // no controlling terminal (opening /dev/tty fails), or no stty
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The columns of {@code stty size}'s "ROWS COLUMNS"; null for anything else, or 0 columns (a pty not sized yet). */
    static Integer parseSttySize(String out) {
        String[] parts = out.trim().split("\\s+");
        return parts.length == 2 && parts[0].matches("\\d+") ? positive(parts[1]) : null;
    }

    private static Integer positive(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        try {
            int n = Integer.parseInt(s.trim());
            return n > 0 ? n : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
