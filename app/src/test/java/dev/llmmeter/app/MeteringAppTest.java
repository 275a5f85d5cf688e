package dev.llmmeter.app;

import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.streams.errors.MissingSourceTopicException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MeteringAppTest {
    @Test
    void brokerRestartConditionsAreTransientAndBugsAreNot() {
        assertTrue(MeteringApp.isTransient(new MissingSourceTopicException("metering.deltas missing")));
        assertTrue(MeteringApp.isTransient(new StreamsException(new TimeoutException("no leader"))));
        assertFalse(MeteringApp.isTransient(new StreamsException(new IllegalStateException("bug"))));
        assertFalse(MeteringApp.isTransient(new NullPointerException()));
    }

    @Test
    void missingBootstrapServersIsAStartupErrorThatSaysWhatToSet() {
        StartupException e = assertThrows(StartupException.class, () -> new MeteringApp(new Properties()));
        assertEquals("no bootstrap servers: pass --bootstrap-servers, or set bootstrap.servers in the config file "
                + "or METERING_BOOTSTRAP_SERVERS", e.getMessage());
    }

    @Test
    void badMeteringSettingIsAStartupErrorNamingIt() {
        Properties p = new Properties();
        p.put("bootstrap.servers", "localhost:9092");
        p.put("metering.stale.ms", "-1");
        assertEquals("Invalid value -1 for configuration metering.stale.ms: Value must be at least 1",
                assertThrows(StartupException.class, () -> new MeteringApp(p)).getMessage());
    }

    @Test
    void appDefaultsAreExactlyOnceAndUserSettingsWin() {
        Properties p = new Properties();
        p.put("bootstrap.servers", "localhost:9092");
        p.put("num.standby.replicas", "1");
        p.put("metering.stale.ms", "5000");
        Properties streams = new MeteringApp(p).streamsProperties();
        assertEquals("exactly_once_v2", streams.get("processing.guarantee"));
        assertEquals("llm-metering", streams.get("application.id"));
        assertEquals("1", streams.get("num.standby.replicas"));
        assertEquals("metering.deltas.dlq", streams.get("errors.dead.letter.queue.topic.name"));
        assertFalse(streams.containsKey("metering.stale.ms"), "metering.* settings are not passed to Kafka");
    }
}
