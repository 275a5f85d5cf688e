package dev.llmmeter.app;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.streams.StreamsConfig;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Under {@code group.protocol=streams} (KIP-1071) the broker assigns the tasks, and Kafka Streams ignores its own
 * {@code num.standby.replicas} (it only warns): the count is the streams group's config
 * {@code streams.num.standby.replicas}. When the user sets {@code num.standby.replicas}, the app carries it over to
 * the group with Admin's incrementalAlterConfigs at start, so the setting means what it says under either protocol.
 */
final class StreamsGroupConfig {
    /** The streams group's own config key for the standby count (the broker's {@code GroupConfig}). */
    static final String STANDBY_REPLICAS = "streams.num.standby.replicas";

    private StreamsGroupConfig() {
    }

    /**
     * The group configs to set for these Kafka Streams properties: {@value #STANDBY_REPLICAS} when the streams protocol
     * is chosen and the user set {@code num.standby.replicas}; none otherwise (the classic protocol reads it itself, and
     * without a setting the group keeps the broker's default).
     */
    static Map<String, String> wanted(Properties streams) {
        Object standby = streams.get(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG);
        if (Settings.classicGroupProtocol(streams) || standby == null || standby.toString().isBlank()) {
            return Map.of();
        }
        return Map.of(STANDBY_REPLICAS, standby.toString().trim());
    }

    /**
     * Sets {@link #wanted} on the group named by {@code application.id}.
     *
     * @return a warning line when the broker refused or did not answer (the app runs on with the group's config), else empty
     */
    static Optional<String> apply(Admin admin, Properties streams, long timeoutMs) throws InterruptedException {
        Map<String, String> wanted = wanted(streams);
        if (wanted.isEmpty()) {
            return Optional.empty();
        }
        String group = streams.getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
        ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
        List<AlterConfigOp> ops = wanted.entrySet().stream()
                .map(e -> new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue()), AlterConfigOp.OpType.SET)).toList();
        try {
            admin.incrementalAlterConfigs(Map.of(resource, ops)).all().get(timeoutMs, TimeUnit.MILLISECONDS);
            return Optional.empty();
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            return Optional.of("could not set " + wanted + " on streams group " + group + " (group.protocol=streams reads the"
                    + " standby count from the group's config, not from num.standby.replicas): " + cause.getMessage());
        }
    }
}
