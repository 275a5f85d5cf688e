package dev.llmmeter.app;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which streams group configs the app sets at start, from the Kafka Streams settings. */
class StreamsGroupConfigTest {
    private static Properties streams(String... keyValues) {
        Properties user = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            user.put(keyValues[i], keyValues[i + 1]);
        }
        return Settings.of(user).streams();
    }

    @Test
    void theStreamsProtocolCarriesTheUsersStandbyCountToTheGroup() {
        assertEquals(Map.of("streams.num.standby.replicas", "1"),
                StreamsGroupConfig.wanted(streams("group.protocol", "streams", "num.standby.replicas", "1")));
    }

    @Test
    void theStreamsProtocolWithoutAStandbySettingLeavesTheGroupsConfigAlone() {
        assertEquals(Map.of(), StreamsGroupConfig.wanted(streams("group.protocol", "streams")));
    }

    @Test
    void theClassicProtocolSetsNoGroupConfig() {
        assertEquals(Map.of(), StreamsGroupConfig.wanted(streams("num.standby.replicas", "1")));
        assertEquals(Map.of(), StreamsGroupConfig.wanted(streams("group.protocol", "classic", "num.standby.replicas", "1")));
    }
}
