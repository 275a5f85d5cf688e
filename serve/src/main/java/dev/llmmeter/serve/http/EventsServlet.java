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
        Object token = req.getAttribute(AccessFilter.TOKEN);
        SseHub.Refusal refused = hub.admit(token);
        if (refused != null) {
            resp.setHeader("Retry-After", "10");
            JsonErrors.write(resp, 503, switch (refused) {
                case MAX_CLIENTS -> "this server streams to at most " + hub.settings().maxClients() + " SSE clients at once";
                case MAX_CLIENTS_PER_TOKEN -> "this token may hold at most " + hub.settings().maxClientsPerToken() + " SSE clients at once";
            });
            return;
        }
        SseConnection c;
        try {
            c = start(req, resp, stream, token);
        } catch (IOException | RuntimeException e) {
            hub.release(token); // never subscribed: its place is given back here
            throw e;
        }
        hub.subscribe(c, lastEventId(req.getHeader("Last-Event-ID")));
        resp.getOutputStream().setWriteListener(c);
    }

    /** Starts the asynchronous response; the connection's place, held by {@link SseHub#admit}, passes to it on subscribing. */
    private SseConnection start(HttpServletRequest req, HttpServletResponse resp, String stream, Object token) throws IOException {
        resp.setStatus(200);
        resp.setCharacterEncoding("UTF-8");
        resp.setContentType("text/event-stream");
        resp.setHeader("Cache-Control", "no-cache");
        resp.setHeader("X-Accel-Buffering", "no"); // nginx in front must not buffer the stream
        AsyncContext async = req.startAsync();
        async.setTimeout(0);
        SseConnection c = new SseConnection(async, resp.getOutputStream(), stream, AccessFilter.scope(req), token, clientBuffer);
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
        return c;
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
