package dev.llmmeter.serve.http;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static dev.llmmeter.serve.Records.T0;
import static dev.llmmeter.serve.Records.stats;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SlowClientIT {
    private static final int TICKS = 60_000;
    private static final int BURST = 50;

    @Test
    @DisplayName("a client that never reads is dropped and counted; the others get every tick without waiting for it")
    void neverReadingClientIsDropped() throws Exception {
        try (ServerFixture f = new ServerFixture(new SseHub.Settings(600, 64, Duration.ofSeconds(15)));
             Socket stuck = new Socket()) {
            stuck.setReceiveBufferSize(4096); // before connect: a small window, so the server's side fills soon
            stuck.connect(new InetSocketAddress("127.0.0.1", f.port));
            OutputStream out = stuck.getOutputStream();
            out.write("GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> f.server.hub().clients() == 1);

            try (SseReader reader = new SseReader(f.port, "/events", null)) {
                await().atMost(Duration.ofSeconds(10)).until(() -> f.server.hub().clients() == 2);
                // In bursts smaller than the per-client buffer, each once the reader has everything before it: the
                // reader is never the one that falls behind, however slowly the machine schedules its thread.
                for (int i = 1; i <= TICKS; i++) {
                    f.view.offerStats(stats("35.1", "52.1", "31.4", 7, T0 + i * 1000L));
                    if (i % BURST == 0) {
                        int sent = i;
                        await().atMost(Duration.ofSeconds(60)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                                .until(() -> reader.events().size() == sent);
                    }
                }
                assertEquals(String.valueOf(T0 + TICKS * 1000L), reader.events().get(TICKS - 1).id());
                assertEquals(1, f.server.hub().dropped());
                assertEquals(1, f.server.hub().clients());

                String metrics = f.get("/metrics").body();
                assertTrue(metrics.contains("\nllm_metering_serve_sse_dropped_clients_total 1.0\n"), metrics);
                assertTrue(metrics.contains("\nllm_metering_serve_sse_clients 1.0\n"), metrics);
            }
        }
    }

    @Test
    @DisplayName("a client that resumes with the whole ring and never reads is kept through its backlog, then dropped once live ticks pile up")
    void aResumingClientThatNeverReadsIsDroppedByTheLiveQueueBound() throws Exception {
        try (ServerFixture f = new ServerFixture(new SseHub.Settings(600, 64, Duration.ofSeconds(15)));
             Socket stuck = new Socket()) {
            for (int i = 1; i <= 600; i++) {
                f.view.offerStats(stats("35.1", "52.1", "31.4", 7, T0 + i * 1000L));
            }
            stuck.setReceiveBufferSize(4096);
            stuck.connect(new InetSocketAddress("127.0.0.1", f.port));
            OutputStream out = stuck.getOutputStream();
            out.write(("GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nLast-Event-ID: " + (T0 + 1000)
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> f.server.hub().clients() == 1);
            // Its 599 missed ticks (some 70 KB) are more than the 64-message live queue: they do not drop it.
            assertEquals(0, f.server.hub().dropped());

            try (SseReader reader = new SseReader(f.port, "/events", null)) {
                await().atMost(Duration.ofSeconds(10)).until(() -> f.server.hub().clients() == 2);
                int sent = 600;
                while (f.server.hub().dropped() == 0 && sent < 600 + TICKS) {
                    for (int b = 0; b < BURST; b++) {
                        sent++;
                        f.view.offerStats(stats("35.1", "52.1", "31.4", 7, T0 + sent * 1000L));
                    }
                    int expected = sent - 599; // the latest at connection, then each live tick
                    await().atMost(Duration.ofSeconds(60)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                            .until(() -> reader.events().size() == expected);
                }
                assertEquals(1, f.server.hub().dropped());
                assertEquals(1, f.server.hub().clients());
                assertEquals(String.valueOf(T0 + sent * 1000L), reader.events().get(reader.events().size() - 1).id());
            }
        }
    }
}
