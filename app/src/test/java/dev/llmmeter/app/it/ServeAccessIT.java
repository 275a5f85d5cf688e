package dev.llmmeter.app.it;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * {@code serve --tokens-file} as an operator runs it, its own process: the tokens and scopes reach the server it
 * starts, and neither its answers nor its stderr ever show a token. No broker: serve waits for its cluster, and
 * what is checked here needs none.
 */
class ServeAccessIT {
    static final String ADMIN = "admin-7f3e9a1c5b8d2e4f6a0c";
    static final String ACME = "acme-2b4d6f8a0c1e3f5a7b9d";
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path work;

    private HttpResponse<String> get(int port, String path, String token) throws Exception {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10));
        if (token != null) {
            req.header("Authorization", "Bearer " + token);
        }
        return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @DisplayName("serve --tokens-file: no token is a 401, admin reads /metrics, a tenant token gets a 403 there; the file is read at start; no token on stderr")
    void tokensReachTheServer() throws Exception {
        Path tokens = Files.writeString(work.resolve("http.tokens"), "# readers\n" + ADMIN + " admin\n" + ACME + " tenant:acme\n");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ServiceProcess.Started serve = ServiceProcess.start(work, "serve", "--bootstrap-servers", "127.0.0.1:1",
                "--http-port", String.valueOf(port), "--tokens-file", tokens.toString());
        try {
            int p = port;
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> get(p, "/healthz", null).statusCode() == 200);
            HttpResponse<String> none = get(port, "/api/stats", null);
            assertEquals(401, none.statusCode());
            assertEquals("{\"status\":401,\"error\":\"a bearer token is needed\"}", none.body());
            assertEquals("{\"status\":503,\"error\":\"no stats record yet\"}", get(port, "/api/stats", ADMIN).body());
            assertEquals(200, get(port, "/metrics", ADMIN).statusCode());
            assertEquals("{\"status\":403,\"error\":\"/metrics needs an admin token\"}", get(port, "/metrics", ACME).body());
            assertEquals(401, get(port, "/api/stats", ACME + "x").statusCode());
            // the file is read at start: a token added later is not known until a restart
            Files.writeString(tokens, ADMIN + " admin\n" + ACME + " tenant:acme\nlater-0123456789abcdef admin\n");
            assertEquals(401, get(port, "/api/stats", "later-0123456789abcdef").statusCode());
            assertEquals(503, get(port, "/api/stats", ADMIN).statusCode());
        } finally {
            serve.process().destroy(); // SIGTERM
        }
        ServiceProcess.Run run = serve.finish();
        assertEquals(0, run.exit(), run.err());
        assertFalse(run.err().contains(ADMIN) || run.err().contains(ACME), run.err());
        assertFalse(run.out().contains(ADMIN) || run.out().contains(ACME), run.out());
    }
}
