package dev.llmmeter.serve.feed;

import dev.llmmeter.serve.MeteringView;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.Properties;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The feed's real consumer against a closed port (no broker): it waits out the feed's 10 s metadata timeout, hence
 * an integration test. On a real broker the feed is exercised by app's integration tests (devkit's EmbeddedKafka).
 */
class LiveFeedIT {
    @Test
    @DisplayName("an unreachable cluster is waited for: the feed is not ready, names the cluster in one line, and still closes promptly")
    void unreachableCluster() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // free, and nothing listens once closed
        }
        Properties settings = LiveFeed.settingsFor("127.0.0.1:" + port);
        settings.put("default.api.timeout.ms", "2000");
        settings.put("reconnect.backoff.max.ms", "200");
        settings.put("not.a.consumer.setting", "ignored");
        LiveFeed feed = new LiveFeed(settings, new MeteringView()).start();
        try {
            assertTrue(feed.notReadyReason() != null);
            await().atMost(Duration.ofSeconds(60)).until(() -> ("cannot reach Kafka at 127.0.0.1:" + port
                    + " (no answer within 10 s); trying again every 5 s").equals(feed.notReadyReason()));
            assertNull(feed.failure(), "an unreachable cluster is waited for: the server stays healthy");
            assertTrue(!feed.notReadyReason().contains("\n"), feed.notReadyReason());
        } finally {
            long t0 = System.nanoTime();
            feed.close();
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(30).toNanos());
        }
    }
}
