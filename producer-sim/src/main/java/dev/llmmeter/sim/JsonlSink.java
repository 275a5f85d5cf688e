package dev.llmmeter.sim;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.DeltaEventCodec;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a trace: one {@link DeltaEventCodec#encode wire-JSON} event per line, {@code \n}-terminated,
 * UTF-8, buffered, no pacing. The result is valid input for {@code metering replay --input FILE}.
 */
public final class JsonlSink implements EventSink {
    private final OutputStream out;
    private final boolean closeUnderlying;

    /**
     * @param out             where the lines go
     * @param closeUnderlying whether {@link #close()} closes {@code out} (false for stdout: it is only flushed)
     */
    public JsonlSink(OutputStream out, boolean closeUnderlying) {
        this.out = new BufferedOutputStream(out, 1 << 16);
        this.closeUnderlying = closeUnderlying;
    }

    /** Creates or truncates {@code file}. */
    public static JsonlSink open(Path file) throws IOException {
        return new JsonlSink(Files.newOutputStream(file), true);
    }

    @Override
    public void send(DeltaEvent event) throws IOException {
        out.write(DeltaEventCodec.encode(event));
        out.write('\n');
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        if (closeUnderlying) {
            out.close();
        } else {
            out.flush();
        }
    }
}
