package dev.llmmeter.sim;

import dev.llmmeter.contract.DeltaEvent;

import java.io.IOException;
import java.util.function.BooleanSupplier;

/**
 * Runs a simulation: takes events from the generator, paces them (or not), hands them to the sink,
 * reports progress, and flushes the sink at the end. Stops early, still flushing, when asked to.
 * Closing the sink is the caller's.
 */
public final class Simulator {
    private final Pacer pacer;
    private final Progress progress;
    private final BooleanSupplier stopRequested;

    /**
     * @param pacer         {@link Pacer#none()} to go as fast as the sink takes events
     * @param progress      {@link Progress#silent()} for no report
     * @param stopRequested polled before each event and while waiting (e.g. set by a signal handler)
     */
    public Simulator(Pacer pacer, Progress progress, BooleanSupplier stopRequested) {
        this.pacer = pacer;
        this.progress = progress;
        this.stopRequested = stopRequested;
    }

    /**
     * @param events  events handed to the sink
     * @param stopped whether the run stopped early, on request
     */
    public record Result(long events, boolean stopped) {
    }

    /** @throws SinkException (or IOException) when the sink fails; the progress line is ended first */
    public Result run(TrafficGenerator generator, EventSink sink) throws IOException {
        boolean stopped = false;
        try {
            while (true) {
                if (stopRequested.getAsBoolean()) {
                    stopped = true;
                    break;
                }
                if (!generator.hasNext()) {
                    break;
                }
                DeltaEvent e = generator.next();
                if (!pacer.awaitUntil(e.ts(), stopRequested, () -> progress.poll(generator.liveStreams()))) {
                    stopped = true;
                    break;
                }
                sink.send(e);
                progress.eventSent(generator.liveStreams());
            }
            sink.flush();
        } finally {
            progress.finish(generator.liveStreams());
        }
        return new Result(progress.sent(), stopped);
    }
}
