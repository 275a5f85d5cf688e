package dev.llmmeter.serve.http;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Iterator;

/**
 * One SSE client. What it must see first (the greeting and, on a resume, the ticks it missed) is written
 * from its {@linkplain #startWith backlog}, as fast as the client reads, however long; live messages are
 * queued behind it, up to a bound. Both are written with the servlet's non-blocking output: a write never
 * waits for the client, so a client that stops reading holds no thread and delays nobody; when its live
 * queue is full it is dropped (its connection closed; a browser reconnects with {@code Last-Event-ID} and
 * resumes).
 */
final class SseConnection implements WriteListener {
    private final AsyncContext async;
    private final ServletOutputStream out;
    private final String streamId;
    private final Scope scope;
    private final Object token;
    private final int capacity;
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private Iterator<byte[]> backlog = Collections.emptyIterator();
    private boolean writable; // set once the container has called onWritePossible: non-blocking mode is on
    private boolean unflushed;
    private boolean closed;
    private volatile boolean dropped;
    private Runnable onClose = () -> { };

    SseConnection(AsyncContext async, ServletOutputStream out, String streamId, Scope scope, Object token, int capacity) {
        this.async = async;
        this.out = out;
        this.streamId = streamId;
        this.scope = scope;
        this.token = token;
        this.capacity = capacity;
    }

    /** The {@code ?stream=} this client asked for, or null. */
    String streamId() {
        return streamId;
    }

    /** Whose streams this client may follow: another tenant's stream is shown as unknown. */
    Scope scope() {
        return scope;
    }

    /** The bearer token's entry this client came with (what the per-token cap counts), or null when anonymous. */
    Object token() {
        return token;
    }

    /** Runs {@code r} when this client closes, or now if it already has (it left before it was subscribed). */
    synchronized void onClose(Runnable r) {
        this.onClose = r;
        if (closed) {
            r.run();
        }
    }

    /**
     * Sets what is written before any live message. Its messages are taken one at a time as the client reads
     * them and do not count against the live queue's bound: a resume is bounded by what the hub remembers,
     * not by how many live messages a client may fall behind.
     */
    synchronized void startWith(Iterator<byte[]> messages) {
        if (closed) {
            return;
        }
        backlog = messages;
        drain();
    }

    /**
     * Queues a live message and writes what the connection takes without waiting.
     *
     * @return false when the client is closed, or its live queue was full (it is then dropped)
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
                byte[] next = backlog.hasNext() ? backlog.next() : queue.pollFirst();
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
        backlog = Collections.emptyIterator();
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
        backlog = Collections.emptyIterator();
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
