package dev.llmmeter.app;

import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Properties;

/**
 * The {@code --config FILE} option of every metering command, as a picocli mixin: one definition of the option
 * and of how a command's settings are layered from it ({@link ServiceMain#settings}).
 */
public final class ConfigFileOption {
    @Option(names = "--config", paramLabel = "FILE",
            description = "Kafka-style properties file: metering.* settings and Kafka client and Streams settings, security "
                    + "included, under METERING_* variables and flags (docs/operations.md, Configuration). A missing or unreadable "
                    + "file is a usage error (exit 2).")
    private Path config;

    /** The file given, or null. */
    public Path file() {
        return config;
    }

    /**
     * The command's settings: defaults, this file, {@code METERING_*} variables, then {@code flags}.
     *
     * @throws CommandLine.ParameterException (exit 2) naming the file or the setting, for a missing or unreadable file
     *                                        or a bad value
     */
    public Settings settings(CommandLine cmd, Properties flags) {
        return ServiceMain.settings(cmd, config, flags);
    }
}
