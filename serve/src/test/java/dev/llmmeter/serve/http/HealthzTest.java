package dev.llmmeter.serve.http;

import dev.llmmeter.serve.MeteringView;
import dev.llmmeter.serve.Readiness;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HealthzTest {
    @Test
    @DisplayName("/healthz answers 503 with the reason while the feed has failed for good, and 200 once it reads again")
    void healthzFailsWhileTheFeedHasFailed() throws Exception {
        AtomicReference<String> failure = new AtomicReference<>("the feed has failed for more than 60 s: TopicAuthorizationException: "
                + "Not authorized to access topics: [metering.stats]");
        Readiness feed = new Readiness() {
            @Override
            public String notReadyReason() {
                return failure.get();
            }

            @Override
            public String failure() {
                return failure.get();
            }
        };
        MeteringServer server = new MeteringServer(new MeteringView(), feed).host("127.0.0.1");
        try {
            int port = server.start(0);
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest healthz = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build();
            HttpResponse<String> failing = http.send(healthz, HttpResponse.BodyHandlers.ofString());
            assertEquals(503, failing.statusCode());
            assertEquals("{\"status\":\"failing\",\"reason\":\"the feed has failed for more than 60 s: TopicAuthorizationException: "
                    + "Not authorized to access topics: [metering.stats]\"}", failing.body());

            failure.set(null);
            HttpResponse<String> ok = http.send(healthz, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode());
            assertEquals("{\"status\":\"ok\"}", ok.body());
        } finally {
            server.close();
        }
    }
}
