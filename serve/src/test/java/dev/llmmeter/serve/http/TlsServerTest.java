package dev.llmmeter.serve.http;

import dev.llmmeter.serve.MeteringView;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;

import static dev.llmmeter.serve.Records.T0;
import static dev.llmmeter.serve.Records.stats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server with a TLS identity: HTTPS only, HTTP/2 and HTTP/1.1 on the one port as the client asks by ALPN, and
 * the plain server's request-head limit, answered alike.
 */
class TlsServerTest {
    @TempDir
    static Path dir;
    private static MeteringServer server;
    private static HttpClient http2;
    private static HttpClient http1;
    private static SSLContext context;

    @BeforeAll
    static void start() throws Exception {
        TestCertificates.Pair pair = TestCertificates.fixturePair(dir, "rsa");
        MeteringView view = new MeteringView();
        view.offerStats(stats("47.3", "52.1", "31.4", 1, T0));
        server = new MeteringServer(view, () -> null).host("127.0.0.1").tls(TlsIdentity.load(pair.cert(), pair.key()));
        server.start(0);
        SSLContext trusting = trusting(pair.cert());
        http2 = HttpClient.newBuilder().sslContext(trusting).version(HttpClient.Version.HTTP_2).build();
        context = trusting;
        http1 = HttpClient.newBuilder().sslContext(trusting).version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A TLS context that trusts {@code cert} alone. */
    static SSLContext trusting(Path cert) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(cert)) {
            trust.setCertificateEntry("server", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static HttpResponse<String> get(HttpClient client, String scheme, String path, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(scheme + "://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(30));
        if (headers.length > 0) {
            req.headers(headers);
        }
        return client.send(req.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @DisplayName("a client offering h2 by ALPN is answered over HTTP/2, one asking for HTTP/1.1 over HTTP/1.1, the same body")
    void http2AndHttp11OnTheOnePort() throws Exception {
        HttpResponse<String> two = get(http2, "https", "/healthz");
        assertEquals(HttpClient.Version.HTTP_2, two.version());
        assertEquals(200, two.statusCode());
        assertEquals("{\"status\":\"ok\"}", two.body());
        HttpResponse<String> one = get(http1, "https", "/api/stats");
        assertEquals(HttpClient.Version.HTTP_1_1, one.version());
        assertEquals(200, one.statusCode());
        assertTrue(one.body().startsWith("{\"tps\":47.3,"), one.body());
        assertTrue(server.secure());
    }

    @Test
    @DisplayName("a client offering by ALPN http/1.1 alone (curl --http1.1), or no ALPN at all, is answered over HTTP/1.1")
    void alpnHttp11AloneAndNoAlpnGetHttp11() throws Exception {
        for (String[] offered : new String[][] {{"http/1.1"}, {}}) {
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", server.port())) {
                SSLParameters params = socket.getSSLParameters();
                params.setApplicationProtocols(offered);
                socket.setSSLParameters(params);
                socket.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertEquals(offered.length == 0 ? "" : "http/1.1", socket.getApplicationProtocol());
                assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
                assertTrue(response.endsWith("\r\n\r\n{\"status\":\"ok\"}"), response);
            }
        }
    }

    @Test
    @DisplayName("over TLS with HTTP/1.1, a header of 9000 bytes is 431 and a URL of 9000 bytes 414, as JSON, as over plain HTTP")
    void theRequestHeadLimitIsTheSameOverTls() throws Exception {
        HttpResponse<String> header = get(http1, "https", "/healthz", "X-Big", "b".repeat(9000));
        assertEquals(431, header.statusCode());
        assertEquals("{\"status\":431,\"error\":\"request header fields too large\"}", header.body());
        HttpResponse<String> url = get(http1, "https", "/" + "a".repeat(9000));
        assertEquals(414, url.statusCode());
        assertEquals("{\"status\":414,\"error\":\"uri too long\"}", url.body());
        HttpResponse<String> within = get(http1, "https", "/healthz?" + "q".repeat(3000), "X-Big", "b".repeat(4000));
        assertEquals(200, within.statusCode());
    }

    @Test
    @DisplayName("over HTTP/2 the same 8 KiB limit holds: a longer head ends the connection (GOAWAY, HPACK's rule), a head within it is served")
    void theRequestHeadLimitOverHttp2EndsTheConnection() throws Exception {
        IOException header = assertThrows(IOException.class, () -> get(http2, "https", "/healthz", "X-Big", "b".repeat(9000)));
        assertTrue(header.getMessage().endsWith("GOAWAY received"), header.getMessage());
        IOException url = assertThrows(IOException.class, () -> get(http2, "https", "/" + "a".repeat(9000)));
        assertTrue(url.getMessage().endsWith("GOAWAY received"), url.getMessage());
        HttpResponse<String> within = get(http2, "https", "/healthz?" + "q".repeat(3000), "X-Big", "b".repeat(4000));
        assertEquals(HttpClient.Version.HTTP_2, within.version());
        assertEquals(200, within.statusCode());
        assertEquals("{\"status\":\"ok\"}", within.body());
    }

    @Test
    @DisplayName("Jetty's HTTP/2 and ALPN modules are the release of the Jetty server Javalin brings (the root pom pins them to it)")
    void http2AndAlpnAreTheServersJettyRelease() {
        String server = org.eclipse.jetty.server.Server.class.getPackage().getImplementationVersion();
        assertEquals(server, org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory.class.getPackage().getImplementationVersion());
        assertEquals(server, org.eclipse.jetty.alpn.java.server.JDK9ServerALPNProcessor.class.getPackage().getImplementationVersion());
    }

    @Test
    @DisplayName("plain HTTP to the TLS port gets no HTTP answer at all")
    void plainHttpToTheTlsPortFails() {
        assertThrows(IOException.class, () -> get(http1, "http", "/healthz"));
    }
}
