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
        byte[] body = JsonErrors.body(status, reason == null ? "error" : reason.toLowerCase(java.util.Locale.ROOT));
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, JsonErrors.CONTENT_TYPE);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }
}
