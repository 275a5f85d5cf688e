package dev.llmmeter.app;

import dev.llmmeter.devkit.KafkaBrokerExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Optional;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The streams group's standby count as the app sets it at start under {@code group.protocol=streams}, on a real
 * broker: carried over when the broker takes it; one warning line, and the app runs on, when the broker refuses it.
 */
class StreamsGroupConfigIT {
    @RegisterExtension
    static KafkaBrokerExtension kafka = new KafkaBrokerExtension();

    private static Optional<String> apply(Admin admin, String app, String standby) throws Exception {
        Properties user = new Properties();
        user.put("group.protocol", "streams");
        user.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, standby);
        Properties streams = Settings.of(user).streams();
        streams.put(StreamsConfig.APPLICATION_ID_CONFIG, app);
        return StreamsGroupConfig.apply(admin, streams, 30_000L);
    }

    private static String groupStandby(Admin admin, String app) throws Exception {
        ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, app);
        return admin.describeConfigs(List.of(group)).all().get().get(group).get("streams.num.standby.replicas").value();
    }

    @Test
    void theUsersStandbyCountBecomesTheStreamsGroupsConfig() throws Exception {
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            assertEquals(Optional.empty(), apply(admin, "group-config-taken", "1"));
            assertEquals("1", groupStandby(admin, "group-config-taken"));
        }
    }

    @Test
    void aCountTheBrokerRefusesIsOneWarningLineAndTheGroupKeepsItsOwn() throws Exception {
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            Optional<String> warning = apply(admin, "group-config-refused", "99");
            assertTrue(warning.isPresent(), "the broker's group.streams.max.standby.replicas (2) refuses 99");
            assertTrue(warning.get().startsWith("could not set {streams.num.standby.replicas=99} on streams group "
                    + "group-config-refused (group.protocol=streams reads the standby count from the group's config, not "
                    + "from num.standby.replicas): "), warning.get());
            assertEquals(1, warning.get().lines().count(), warning.get());
            assertEquals("0", groupStandby(admin, "group-config-refused"));
        }
    }
}
