package dev.llmmeter.app;

import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The live app's Kafka Streams defaults, and which of them yield to the user's settings. */
class SettingsStreamsTest {
    private static Properties user(String... keyValues) {
        Properties p = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.put(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }

    @Test
    void exactlyOnceCommitsOnceASecondByDefault() {
        Properties p = Settings.of(user()).streams();
        assertEquals(StreamsConfig.EXACTLY_ONCE_V2, p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        assertEquals("1000", p.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
        assertEquals("0", p.get(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG));
    }

    @Test
    void aCommitIntervalTheUserSetsIsKept() {
        Properties p = Settings.of(user(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100")).streams();
        assertEquals("100", p.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
    }

    @Test
    void atLeastOnceKeepsKafkasOwnCommitInterval() {
        Properties p = Settings.of(user(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE)).streams();
        assertFalse(p.containsKey(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
    }

    @Test
    void aCrashedMemberIsDetectedWithinTenSeconds() {
        Properties p = Settings.of(user()).streams();
        assertEquals("10000", p.get("session.timeout.ms"));
        assertEquals("1000", p.get("heartbeat.interval.ms"));
    }

    @Test
    void theUsersSessionTimeoutAndHeartbeatWin() {
        Properties p = Settings.of(user("session.timeout.ms", "45000", "heartbeat.interval.ms", "3000")).streams();
        assertEquals("45000", p.get("session.timeout.ms"));
        assertEquals("3000", p.get("heartbeat.interval.ms"));
    }

    @Test
    void theStreamsGroupProtocolGetsNoConsumerGroupTimings() {
        Properties p = Settings.of(user("group.protocol", "streams")).streams();
        assertFalse(p.containsKey("session.timeout.ms"));
        assertFalse(p.containsKey("heartbeat.interval.ms"));
    }
}
