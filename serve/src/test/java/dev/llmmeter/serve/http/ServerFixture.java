package dev.llmmeter.serve.http;

import dev.llmmeter.serve.MeteringView;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/** A real server on a free port over an in-memory view, its readiness set by the test. */
final class ServerFixture implements AutoCloseable {
    final AtomicReference<String> notReady = new AtomicReference<>();
    final MeteringView view = new MeteringView();
    final MeteringServer server;
    final int port;
    private final HttpClient http = HttpClient.newHttpClient();

    ServerFixture() {
        this(SseHub.Settings.defaults());
    }

    ServerFixture(SseHub.Settings sse) {
        this(sse, Access.anonymous());
    }

    ServerFixture(Access access) {
        this(SseHub.Settings.defaults(), access);
    }

    ServerFixture(SseHub.Settings sse, Access access) {
        server = new MeteringServer(view, notReady::get, sse).host("127.0.0.1").access(access);
        port = server.start(0);
    }

    /** GET with {@code headers} (name, value, name, value...). */
    HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30));
        if (headers.length > 0) {
            req.headers(headers);
        }
        return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** GET with {@code Authorization: Bearer token}. */
    HttpResponse<String> getAs(String token, String path) throws IOException, InterruptedException {
        return get(path, "Authorization", "Bearer " + token);
    }

    HttpResponse<String> send(String method, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        server.close();
    }
}
