package dev.llmmeter.serve.http;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.stream.Stream;

import static dev.llmmeter.serve.Records.T0;
import static dev.llmmeter.serve.Records.stats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Hostile and malformed requests at the HTTP edge, written byte for byte over a socket: each gets an exact
 * status with a JSON body, never a 5xx, a stack trace or anything read from the file system.
 */
class HttpEdgeFuzzTest {
    private static ServerFixture f;

    @BeforeAll
    static void start() {
        f = new ServerFixture();
        f.view.offerStats(stats("47.3", "52.1", "31.4", 1, T0));
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private static String get(String target, String... headerLines) {
        return request("GET", target, headerLines);
    }

    private static String request(String method, String target, String... headerLines) {
        StringBuilder r = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: localhost\r\n");
        for (String h : headerLines) {
            r.append(h).append("\r\n");
        }
        return r.append("Connection: close\r\n\r\n").toString();
    }

    private static final String BAD_REQUEST = "{\"status\":400,\"error\":\"bad request\"}";

    static Stream<Arguments> hostile() {
        return Stream.of(
                Arguments.of("path traversal", get("/../../etc/passwd"), 400, BAD_REQUEST),
                Arguments.of("path traversal under the static files", get("/webjars/../../../../etc/passwd"), 400, BAD_REQUEST),
                Arguments.of("encoded traversal", get("/%2e%2e/%2e%2e/etc/passwd"), 400, BAD_REQUEST),
                Arguments.of("encoded traversal under the static files", get("/webjars/%2e%2e/%2e%2e/%2e%2e/etc/passwd"), 400, BAD_REQUEST),
                Arguments.of("encoded traversal with encoded slashes", get("/..%2f..%2f..%2fetc%2fpasswd"), 400, BAD_REQUEST),
                Arguments.of("encoded traversal as a stream id", get("/api/streams/%2e%2e%2f%2e%2e%2fetc%2fpasswd"), 400, BAD_REQUEST),
                Arguments.of("a file's absolute path", get("/etc/passwd"), 404, "{\"status\":404,\"error\":\"no such path: /etc/passwd\"}"),
                Arguments.of("encoded NUL in the path", get("/%00"), 400, BAD_REQUEST),
                Arguments.of("encoded NUL in a stream id", get("/api/streams/a%00b"), 400, BAD_REQUEST),
                Arguments.of("encoded CRLF in the path", get("/healthz%0d%0aX-Injected:%20yes"), 404,
                        "{\"status\":404,\"error\":\"no such path: /healthz%0d%0aX-Injected:%20yes\"}"),
                Arguments.of("raw CRLF in the path", "GET /healthz\r\nX-Injected: yes HTTP/1.1\r\nHost: localhost\r\n\r\n", 400,
                        "{\"status\":400,\"error\":\"bad request line: no HTTP version\"}"),
                Arguments.of("bare CR in a header", get("/healthz", "X-A: a\rX-Injected: yes"), 400, BAD_REQUEST),
                Arguments.of("NUL in a header", get("/healthz", "X-A: a\u0000b"), 400, BAD_REQUEST),
                Arguments.of("a URL of 9000 bytes", get("/" + "a".repeat(9000)), 414, "{\"status\":414,\"error\":\"uri too long\"}"),
                Arguments.of("a header of 9000 bytes", get("/healthz", "X-Big: " + "b".repeat(9000)), 431,
                        "{\"status\":431,\"error\":\"request header fields too large\"}"),
                Arguments.of("100 headers of 100 bytes", get("/healthz", Stream.iterate(0, i -> i + 1).limit(100)
                        .map(i -> "X-H" + i + ": " + "c".repeat(94)).toArray(String[]::new)), 431,
                        "{\"status\":431,\"error\":\"request header fields too large\"}"),
                Arguments.of("TRACE", request("TRACE", "/healthz", "X-Secret: s3cr3t"), 405,
                        "{\"status\":405,\"error\":\"method TRACE not allowed on /healthz\"}"),
                Arguments.of("PUT", request("PUT", "/api/stats", "Content-Length: 0"),
                        405, "{\"status\":405,\"error\":\"method PUT not allowed on /api/stats\"}"),
                Arguments.of("DELETE", request("DELETE", "/api/stats"), 405, "{\"status\":405,\"error\":\"method DELETE not allowed on /api/stats\"}"),
                Arguments.of("PATCH on /events", request("PATCH", "/events"), 405, "{\"status\":405,\"error\":\"method PATCH not allowed on /events\"}"),
                Arguments.of("OPTIONS that is no CORS preflight", request("OPTIONS", "/api/stats"), 405,
                        "{\"status\":405,\"error\":\"method OPTIONS not allowed on /api/stats\"}"),
                Arguments.of("a made-up method", request("BREW", "/api/stats"), 405, "{\"status\":405,\"error\":\"method BREW not allowed on /api/stats\"}"),
                Arguments.of("a made-up method on /events", request("BREW", "/events"), 405,
                        "{\"status\":405,\"error\":\"method BREW not allowed on /events\"}"));
    }

    @ParameterizedTest(name = "{0}: {2}")
    @MethodSource("hostile")
    @DisplayName("a hostile or malformed request gets its exact status and JSON error: no 5xx, no stack trace, no file content")
    void hostileRequestsGetAnExactJsonError(String what, String request, int status, String body) throws Exception {
        RawHttp.Response r = RawHttp.send(f.port, request);
        assertEquals(status, r.status(), what + ": " + r.head());
        assertEquals(body, r.body(), what);
        assertEquals("application/json", r.header("Content-Type"), what);
        assertClean(r);
    }

    @Test
    @DisplayName("with tokens, a malformed or oversize request is answered as such before any token check")
    void malformedRequestsAreAnsweredBeforeTheTokenCheck() throws Exception {
        try (ServerFixture tokens = new ServerFixture(new Access(Tokens.parse(java.util.List.of("admin-token-0123456789 admin")),
                java.util.List.of()))) {
            assertEquals(400, RawHttp.send(tokens.port, get("/../../etc/passwd")).status());
            assertEquals(400, RawHttp.send(tokens.port, get("/api/streams/a%00b")).status());
            assertEquals(414, RawHttp.send(tokens.port, get("/api/stats?" + "a".repeat(9000))).status());
            assertEquals(431, RawHttp.send(tokens.port, get("/api/stats", "X-Big: " + "b".repeat(9000))).status());
            assertEquals(401, RawHttp.send(tokens.port, get("/api/stats")).status());
        }
    }

    @Test
    @DisplayName("a request line and headers of up to 8 KiB in all are served")
    void headsUpToTheLimitAreServed() throws Exception {
        RawHttp.Response r = RawHttp.send(f.port, get("/healthz?" + "q".repeat(3000), "X-Big: " + "b".repeat(4000)));
        assertEquals(200, r.status(), r.head());
        assertEquals("{\"status\":\"ok\"}", r.body());
    }

    @Test
    @DisplayName("a CRLF in the path never becomes a response header")
    void crlfInThePathIsNoResponseHeader() throws Exception {
        assertNull(RawHttp.send(f.port, get("/healthz%0d%0aX-Injected:%20yes")).header("X-Injected"));
        assertNull(RawHttp.send(f.port, "GET /healthz\r\nX-Injected: yes HTTP/1.1\r\nHost: localhost\r\n\r\n").header("X-Injected"));
    }

    @Test
    @DisplayName("TRACE echoes nothing of the request, and a wrong method is told the allowed one")
    void traceEchoesNothing() throws Exception {
        RawHttp.Response r = RawHttp.send(f.port, request("TRACE", "/healthz", "X-Secret: s3cr3t"));
        assertFalse(r.head().contains("s3cr3t") || r.body().contains("s3cr3t"), r.head() + r.body());
        assertEquals("GET", r.header("Allow"));
    }

    @ParameterizedTest(name = "Last-Event-ID: \"{0}\"")
    @ValueSource(strings = {"abc", "-1", "99999999999999999999", "1.5", "", "1790000000000; drop", "%0d%0aX: y"})
    @DisplayName("a malformed Last-Event-ID on /events is ignored: the stream starts afresh with the latest tick")
    void malformedLastEventIdStartsAfresh(String lastEventId) throws Exception {
        RawHttp.Response r = RawHttp.send(f.port, get("/events", "Last-Event-ID: " + lastEventId), "\"active\":1}");
        assertEquals(200, r.status(), r.head());
        assertEquals("text/event-stream;charset=utf-8", r.header("Content-Type").replace(" ", "").toLowerCase());
        assertEquals(true, r.body().contains("id: " + T0 + "\n"), r.body());
        assertClean(r);
    }

    private static void assertClean(RawHttp.Response r) {
        String all = r.head() + "\n" + r.body();
        assertFalse(r.status() >= 500, all);
        assertFalse(all.contains("at dev.") || all.contains("at org.") || all.contains("Exception"), all);
        assertFalse(all.contains("root:"), all);
    }
}
