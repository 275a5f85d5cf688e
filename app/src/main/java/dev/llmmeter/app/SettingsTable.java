package dev.llmmeter.app;

import dev.llmmeter.topology.MeteringConfig;
import org.apache.kafka.common.config.ConfigDef;

import java.util.List;

/**
 * The table of metering settings in docs/operations.md (Configuration), generated from the settings' one
 * definition each: the topology's {@link MeteringConfig#CONFIG}, then the app's {@link Settings#APP_CONFIG}. As
 * Kafka generates its configuration docs from its {@code ConfigDef}s; {@code SettingsTableTest} fails when the
 * document and the definitions differ, and rewrites the table with {@code -Dsettings.table.write=true}.
 */
public final class SettingsTable {
    /** The lines around the generated table in the document. */
    public static final String BEGIN = "<!-- settings table: generated from MeteringConfig.CONFIG and Settings.APP_CONFIG by SettingsTable -->";
    public static final String END = "<!-- end of settings table -->";

    private SettingsTable() {
    }

    /** The table in Markdown: key, default, meaning; one row per define, in definition order. */
    public static String markdown() {
        StringBuilder s = new StringBuilder("| key | default | meaning |\n|---|---|---|\n");
        for (ConfigDef def : List.of(MeteringConfig.CONFIG, Settings.APP_CONFIG)) {
            for (ConfigDef.ConfigKey key : def.configKeys().values()) {
                s.append("| `").append(key.name).append("` | ").append(shown(key.defaultValue)).append(" | ")
                        .append(key.documentation).append(" |\n");
            }
        }
        return s.toString();
    }

    /** A default in code font; an empty string or list as "(empty)", as two backticks would not show; none as "(unset)". */
    private static String shown(Object defaultValue) {
        if (defaultValue == null) {
            return "(unset)";
        }
        boolean empty = "".equals(defaultValue) || (defaultValue instanceof List<?> l && l.isEmpty());
        return empty ? "(empty)" : "`" + defaultValue + "`";
    }

    /** Prints the table. */
    public static void main(String[] args) {
        System.out.print(markdown());
    }
}
