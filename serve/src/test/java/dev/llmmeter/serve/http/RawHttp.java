package dev.llmmeter.serve.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/**
 * One request written byte for byte over a plain socket, and the response read until the server closes or the
 * head and {@code Content-Length} body are in: for requests {@code java.net.http} refuses to send (CRLF or NUL
 * in a path, a made-up method, an oversize header).
 */
final class RawHttp {
    /** The status line's code, the head (status line and headers) and the body. */
    record Response(int status, String head, String body) {
        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).strip();
                }
            }
            return null;
        }
    }

    private RawHttp() {
    }

    /** Sends {@code request} as ISO-8859-1 bytes (each char one byte) and reads one response. */
    static Response send(int port, String request) throws IOException {
        return send(port, request, null);
    }

    /**
     * As {@link #send(int, String)}, for a response without a length (an event stream): read until its body
     * contains {@code until}.
     */
    static Response send(int port, String request, String until) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            try {
                s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
            } catch (SocketException e) {
                // the server may answer and close before it has read all of an oversize request
            }
            return read(s.getInputStream(), until);
        }
    }

    private static Response read(InputStream in, String until) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int headEnd = -1;
        int length = -1;
        byte[] chunk = new byte[8192];
        while (true) {
            int n;
            try {
                n = in.read(chunk);
            } catch (SocketException e) {
                n = -1; // reset after the response: what was read is the response
            }
            if (n < 0) {
                break;
            }
            buf.write(chunk, 0, n);
            String text = buf.toString(StandardCharsets.ISO_8859_1);
            if (headEnd < 0 && (headEnd = text.indexOf("\r\n\r\n")) >= 0) {
                Response head = new Response(0, text.substring(0, headEnd), "");
                String cl = head.header("Content-Length");
                length = cl == null ? -1 : Integer.parseInt(cl);
            }
            if (headEnd >= 0 && length >= 0 && buf.size() >= headEnd + 4 + length) {
                break;
            }
            if (headEnd >= 0 && until != null && text.indexOf(until, headEnd) >= 0) {
                break;
            }
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        if (headEnd < 0) {
            throw new IOException("no response head in " + buf.size() + " bytes: " + text);
        }
        String head = text.substring(0, headEnd);
        String[] statusLine = head.split("\r\n", 2)[0].split(" ", 3);
        return new Response(Integer.parseInt(statusLine[1]), head, text.substring(headEnd + 4));
    }
}
