package dev.llmmeter.app;

import dev.llmmeter.topology.MeteringConfig;
import picocli.CommandLine;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Properties;

/** Reads Kafka-style properties files; a bad file or setting is a usage error that names it. */
public final class ConfigFiles {
    private ConfigFiles() {
    }

    public static Properties load(CommandLine cmd, Path file) {
        Properties p = new Properties();
        if (file == null) {
            return p;
        }
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            throw new CommandLine.ParameterException(cmd, "config file not found: " + file);
        } catch (IOException | IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cmd, "cannot read config file " + file + ": " + e.getMessage());
        }
        return p;
    }

    /** A command's settings before its flags: the properties file, then {@code METERING_*} environment variables over it. */
    public static Properties fileAndEnvironment(CommandLine cmd, Path file) {
        return dev.llmmeter.app.Settings.layered(load(cmd, file),
                dev.llmmeter.app.Settings.fromEnvironment(System.getenv()));
    }

    public static MeteringConfig meteringConfig(CommandLine cmd, Path file) {
        try {
            return MeteringConfig.fromMap(load(cmd, file));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cmd, "bad setting in " + file + ": " + e.getMessage());
        }
    }
}
