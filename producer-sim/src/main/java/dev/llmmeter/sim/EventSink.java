package dev.llmmeter.sim;

import dev.llmmeter.contract.DeltaEvent;

import java.io.IOException;

/** Where simulated events go. Used from one thread. */
public interface EventSink extends AutoCloseable {

    /**
     * Hands one event over; it may be delivered later (see {@link #flush()}).
     *
     * @throws SinkException when the sink has failed (now, or for an earlier event)
     */
    void send(DeltaEvent event) throws IOException;

    /**
     * Delivers everything sent so far.
     *
     * @throws SinkException when some event could not be delivered
     */
    void flush() throws IOException;

    @Override
    void close() throws IOException;
}
