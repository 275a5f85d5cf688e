package dev.llmmeter.app;

import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Properties;

/**
 * The cluster options of every command that talks to Kafka, as a picocli mixin: {@code --bootstrap-servers} and
 * {@code --config FILE} ({@link ConfigFileOption}), defined once, with the layering of the settings they give.
 */
public final class ClusterOptions {
    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            description = "Kafka cluster to connect to: bootstrap.servers, over METERING_BOOTSTRAP_SERVERS and the --config file.")
    private String bootstrapServers;

    @Mixin
    private ConfigFileOption config = new ConfigFileOption();

    /** The flag's value, or null when it was not given. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The {@code --config} option. */
    public ConfigFileOption config() {
        return config;
    }

    /**
     * The command's settings ({@link ConfigFileOption#settings}), {@code --bootstrap-servers} among the flags.
     *
     * @throws CommandLine.ParameterException (exit 2) for a missing or unreadable file or a bad value
     */
    public Settings settings(CommandLine cmd, Properties flags) {
        Properties all = new Properties();
        all.putAll(flags);
        if (bootstrapServers != null) {
            all.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        }
        return config.settings(cmd, all);
    }

    /**
     * As {@link #settings}, for a command that cannot run without a cluster.
     *
     * @throws CommandLine.ParameterException (exit 2) also when no layer names bootstrap servers
     */
    public Settings requireCluster(CommandLine cmd, Properties flags) {
        Settings settings = settings(cmd, flags);
        if (settings.bootstrapServers().isEmpty()) {
            throw new CommandLine.ParameterException(cmd, "no bootstrap servers: pass --bootstrap-servers or set METERING_BOOTSTRAP_SERVERS");
        }
        return settings;
    }
}
