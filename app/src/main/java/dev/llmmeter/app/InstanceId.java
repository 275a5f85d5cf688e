package dev.llmmeter.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * This instance's {@code group.instance.id} (static membership), generated once and kept in a file in the
 * state directory: a restart on the same state directory comes back as the same group member and takes its
 * tasks back at once, and two instances (each with its own state directory, as they must have) never share
 * one. Kafka Streams suffixes it per stream thread ({@code <id>-1}, {@code <id>-2}, ...).
 */
public final class InstanceId {
    /** The file, directly in the state directory (next to Kafka Streams' per-application directories). */
    public static final String FILE_NAME = "metering-instance-id";
    /** Kafka allows letters, digits, '.', '_' and '-' (up to 249 characters) in a group instance id. */
    private static final Pattern VALID = Pattern.compile("[a-zA-Z0-9._-]{1,200}");

    private InstanceId() {
    }

    /**
     * The id kept in {@code stateDir}, creating the directory and the file on first use.
     *
     * @throws IOException when the state directory cannot be created, read or written
     */
    public static String of(Path stateDir) throws IOException {
        Path file = stateDir.resolve(FILE_NAME);
        String kept = read(file);
        if (kept != null) {
            return kept;
        }
        Files.createDirectories(stateDir);
        String id = "metering-" + UUID.randomUUID();
        // Written whole or not at all: a crash mid-write must not leave a truncated id behind.
        Path tmp = Files.createTempFile(stateDir, FILE_NAME, ".tmp");
        try {
            Files.writeString(tmp, id + "\n", StandardCharsets.US_ASCII);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        String written = read(file);
        if (written == null) {
            throw new IOException(file + " does not hold the id just written to it");
        }
        return written;
    }

    /** The id in the file; null when there is none, or the file is empty or not an id (then it is rewritten). */
    private static String read(Path file) throws IOException {
        try {
            String s = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).strip();
            return VALID.matcher(s).matches() ? s : null;
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
