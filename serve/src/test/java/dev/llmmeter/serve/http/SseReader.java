package dev.llmmeter.serve.http;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A real SSE client over the JDK's HttpClient: parses messages as a browser's EventSource does. */
public final class SseReader implements AutoCloseable {
    /** One message; {@code comment} set for a comment line, the other fields for an event. */
    public record Message(String id, String event, String data, String comment) {
    }

    private final List<Message> messages = new ArrayList<>(); // guarded by itself
    private final Thread thread;
    private final HttpResponse<java.io.InputStream> response;

    public SseReader(int port, String pathAndQuery, String lastEventId) throws IOException, InterruptedException {
        this(port, pathAndQuery, lastEventId, null);
    }

    /** @param bearer sent as {@code Authorization: Bearer ...} unless null */
    public SseReader(int port, String pathAndQuery, String lastEventId, String bearer) throws IOException, InterruptedException {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://localhost:" + port + pathAndQuery))
                .header("Accept", "text/event-stream");
        if (lastEventId != null) {
            req.header("Last-Event-ID", lastEventId);
        }
        if (bearer != null) {
            req.header("Authorization", "Bearer " + bearer);
        }
        response = HttpClient.newHttpClient().send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
        thread = new Thread(this::read, "sse-reader");
        thread.setDaemon(true);
        thread.start();
    }

    public int status() {
        return response.statusCode();
    }

    String header(String name) {
        return response.headers().firstValue(name).orElse("");
    }

    String contentType() {
        return response.headers().firstValue("Content-Type").orElse("");
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String id = null;
            String event = null;
            StringBuilder data = null;
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data != null) {
                        add(new Message(id, event, data.toString(), null));
                    }
                    id = null;
                    event = null;
                    data = null;
                } else if (line.startsWith(":")) {
                    add(new Message(null, null, null, line.substring(1).trim()));
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data = data == null ? new StringBuilder(line.substring(6)) : data.append('\n').append(line.substring(6));
                }
            }
        } catch (IOException e) {
            // closed
        }
    }

    private void add(Message m) {
        synchronized (messages) {
            messages.add(m);
        }
    }

    private List<Message> snapshot() {
        synchronized (messages) {
            return new ArrayList<>(messages);
        }
    }

    /** The events so far (comments left out). */
    public List<Message> events() {
        return snapshot().stream().filter(m -> m.comment() == null).toList();
    }

    public List<String> ids() {
        return events().stream().map(Message::id).toList();
    }

    List<String> comments() {
        return snapshot().stream().filter(m -> m.comment() != null).map(Message::comment).toList();
    }

    @Override
    public void close() throws IOException {
        response.body().close();
        thread.interrupt();
    }
}
