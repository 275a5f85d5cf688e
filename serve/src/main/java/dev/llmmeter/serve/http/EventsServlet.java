package dev.llmmeter.serve.http;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/**
 * {@code GET /events}: the SSE stream. A servlet of its own, beside Javalin's, because it needs the
 * servlet's asynchronous, non-blocking output (Javalin's {@code SseClient} writes blocking).
 */
final class EventsServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final transient SseHub hub;
    private final int clientBuffer;

    EventsServlet(SseHub hub, int clientBuffer) {
        this.hub = hub;
        this.clientBuffer = clientBuffer;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!"GET".equals(req.getMethod())) {
            resp.setHeader("Allow", "GET");
            JsonErrors.write(resp, 405, "method " + req.getMethod() + " not allowed on /events");
            return;
        }
        String stream;
        try {
            stream = Params.streamId(req.getParameter("stream"), "stream");
        } catch (Params.BadParameter e) {
            JsonErrors.write(resp, 400, e.getMessage());
            return;
        }
        resp.setStatus(200);
        resp.setCharacterEncoding("UTF-8");
        resp.setContentType("text/event-stream");
        resp.setHeader("Cache-Control", "no-cache");
        resp.setHeader("X-Accel-Buffering", "no"); // nginx in front must not buffer the stream
        AsyncContext async = req.startAsync();
        async.setTimeout(0);
        SseConnection c = new SseConnection(async, resp.getOutputStream(), stream, AccessFilter.scope(req), clientBuffer);
        async.addListener(new AsyncListener() {
            @Override
            public void onComplete(AsyncEvent event) {
                c.close();
            }

            @Override
            public void onTimeout(AsyncEvent event) {
                c.close();
            }

            @Override
            public void onError(AsyncEvent event) {
                c.close();
            }

            @Override
            public void onStartAsync(AsyncEvent event) {
            }
        });
        hub.subscribe(c, lastEventId(req.getHeader("Last-Event-ID")));
        resp.getOutputStream().setWriteListener(c);
    }

    /** A Last-Event-ID this server did not send (not a tick) is ignored: the client starts afresh. */
    private static Long lastEventId(String header) {
        if (header == null) {
            return null;
        }
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
