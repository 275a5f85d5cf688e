package dev.llmmeter.serve.http;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;

/**
 * Errors Jetty answers itself, before any route (a request line it cannot parse, a bad URI encoding):
 * the same JSON body as the routes' errors, and never a stack trace.
 */
final class JsonErrorHandler extends ErrorHandler {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = response.getStatus() >= 400 ? response.getStatus() : 500;
        String reason = HttpStatus.getMessage(status);
        String message = reason == null ? "error" : reason.toLowerCase(java.util.Locale.ROOT);
        if (status == HttpStatus.HTTP_VERSION_NOT_SUPPORTED_505 && noVersion(request)) {
            // A request line without "HTTP/1.1" (as a raw CR LF in a path makes it) is malformed, not a server fault.
            status = HttpStatus.BAD_REQUEST_400;
            message = "bad request line: no HTTP version";
            response.setStatus(status);
        }
        byte[] body = JsonErrors.body(status, message);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, JsonErrors.CONTENT_TYPE);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }

    /** Jetty's parser refused the request as HTTP/0.9: a request line with no version. */
    private static boolean noVersion(Request request) {
        Object cause = request.getAttribute(ERROR_EXCEPTION);
        return cause instanceof Throwable t && t.getMessage() != null && t.getMessage().contains("0.9");
    }
}
