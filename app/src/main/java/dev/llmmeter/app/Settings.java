package dev.llmmeter.app;

import dev.llmmeter.topology.MeteringConfig;

import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Where a process's settings come from, lowest precedence first: built-in defaults, a Kafka-style
 * properties file, {@code METERING_*} environment variables, command-line flags. Any Kafka client or
 * Streams setting (security included) passes through untouched.
 *
 * <p>Environment variables: {@code METERING_} is dropped, the rest lower-cased and {@code _} turned into
 * {@code .}; the result names a metering setting when {@code metering.<it>} is one, and a Kafka setting
 * otherwise. So {@code METERING_BOOTSTRAP_SERVERS=b:9092} sets {@code bootstrap.servers},
 * {@code METERING_SASL_JAAS_CONFIG} sets {@code sasl.jaas.config}, {@code METERING_STALE_MS} sets
 * {@code metering.stale.ms}.
 */
public final class Settings {
    public static final String ENV_PREFIX = "METERING_";
    /** Read by the launcher and the log configuration, not settings. */
    public static final Set<String> NOT_SETTINGS = Set.of("METERING_JAVA_OPTS", "METERING_LOG_LEVEL");

    private Settings() {
    }

    /** @return the settings named by {@code METERING_*} variables of {@code env} */
    public static Properties fromEnvironment(Map<String, String> env) {
        Properties p = new Properties();
        for (Map.Entry<String, String> e : env.entrySet()) {
            String name = e.getKey();
            if (!name.startsWith(ENV_PREFIX) || NOT_SETTINGS.contains(name) || name.length() == ENV_PREFIX.length()) {
                continue;
            }
            p.setProperty(settingName(name), e.getValue());
        }
        return p;
    }

    /** {@code METERING_SASL_JAAS_CONFIG} -> {@code sasl.jaas.config}; {@code METERING_STALE_MS} -> {@code metering.stale.ms}. */
    public static String settingName(String envName) {
        String key = envName.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
        if (key.startsWith(MeteringConfig.PREFIX) || !MeteringConfig.DEFAULTS.containsKey(MeteringConfig.PREFIX + key)) {
            return key;
        }
        return MeteringConfig.PREFIX + key;
    }

    /**
     * The settings one Kafka client knows (e.g. {@code ProducerConfig.configNames()}): handing a client the
     * Streams and metering.* ones as well only earns "supplied but not used" warnings.
     */
    public static Properties only(Properties settings, Set<String> clientConfigNames) {
        Properties p = new Properties();
        settings.forEach((k, v) -> {
            if (clientConfigNames.contains(k.toString())) {
                p.put(k, v);
            }
        });
        return p;
    }

    /** Layers: each later one overrides the earlier. */
    public static Properties layered(Properties... layers) {
        Properties merged = new Properties();
        for (Properties layer : layers) {
            merged.putAll(layer);
        }
        return merged;
    }
}
