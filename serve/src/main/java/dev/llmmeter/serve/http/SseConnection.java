package dev.llmmeter.serve.http;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;

import java.io.IOException;
import java.util.ArrayDeque;

/**
 * One SSE client. Messages are queued, up to a bound, and written with the servlet's non-blocking output:
 * a write never waits for the client, so a client that stops reading holds no thread and delays nobody;
 * when its queue is full it is dropped (its connection closed; a browser reconnects with
 * {@code Last-Event-ID} and resumes).
 */
final class SseConnection implements WriteListener {
    private final AsyncContext async;
    private final ServletOutputStream out;
    private final String streamId;
    private final int capacity;
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private boolean writable; // set once the container has called onWritePossible: non-blocking mode is on
    private boolean unflushed;
    private boolean closed;
    private volatile boolean dropped;
    private Runnable onClose = () -> { };

    SseConnection(AsyncContext async, ServletOutputStream out, String streamId, int capacity) {
        this.async = async;
        this.out = out;
        this.streamId = streamId;
        this.capacity = capacity;
    }

    /** The {@code ?stream=} this client asked for, or null. */
    String streamId() {
        return streamId;
    }

    void onClose(Runnable r) {
        this.onClose = r;
    }

    /**
     * Queues a message and writes what the connection takes without waiting.
     *
     * @return false when the client is closed, or its queue was full (it is then dropped)
     */
    synchronized boolean offer(byte[] message) {
        if (closed) {
            return false;
        }
        if (queue.size() >= capacity) {
            abort();
            return false;
        }
        queue.addLast(message);
        drain();
        return !closed;
    }

    @Override
    public synchronized void onWritePossible() {
        writable = true;
        drain();
    }

    @Override
    public void onError(Throwable t) {
        close();
    }

    /** True when this client was dropped for not keeping up. */
    boolean dropped() {
        return dropped;
    }

    synchronized int queued() {
        return queue.size();
    }

    private void drain() {
        if (!writable || closed) {
            return;
        }
        try {
            // isReady() false means a write is in flight; the container calls onWritePossible when it completes.
            while (out.isReady()) {
                byte[] next = queue.pollFirst();
                if (next != null) {
                    out.write(next);
                    unflushed = true;
                } else if (unflushed) {
                    unflushed = false;
                    out.flush();
                } else {
                    return;
                }
            }
        } catch (IOException | IllegalStateException e) {
            close();
        }
    }

    /** Ends the response normally (server shutdown). */
    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        queue.clear();
        try {
            async.complete();
        } catch (IllegalStateException e) {
            // already completed or timed out
        }
        onClose.run();
    }

    /** Closes the connection at once: a response stuck behind a client that does not read cannot complete. */
    private void abort() {
        closed = true;
        dropped = true;
        queue.clear();
        try {
            ServletContextRequest.getServletContextRequest(async.getRequest())
                    .getConnectionMetaData().getConnection().getEndPoint().close();
        } catch (RuntimeException e) {
            try {
                async.complete();
            } catch (IllegalStateException ignored) {
                // already completed
            }
        }
        onClose.run();
    }
}
