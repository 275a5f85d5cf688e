package dev.llmmeter.app;

import dev.llmmeter.topology.MeteringConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** docs/operations.md's table of settings is the one generated from their definitions, row for row. */
class SettingsTableTest {
    private static final Path DOC = Path.of("").toAbsolutePath().getParent().resolve("docs").resolve("operations.md");

    @Test
    void theDocumentsSettingsTableIsTheOneGeneratedFromTheDefinitions() throws IOException {
        String doc = Files.readString(DOC, StandardCharsets.UTF_8);
        int begin = doc.indexOf(SettingsTable.BEGIN + "\n");
        int end = doc.indexOf(SettingsTable.END, begin);
        assertTrue(begin >= 0 && end > begin, "the table's markers in " + DOC);
        int from = begin + SettingsTable.BEGIN.length() + 1;
        if (Boolean.getBoolean("settings.table.write")) {
            Files.writeString(DOC, doc.substring(0, from) + SettingsTable.markdown() + doc.substring(end), StandardCharsets.UTF_8);
            return;
        }
        assertEquals(SettingsTable.markdown(), doc.substring(from, end),
                "regenerate: ./mvnw -o -q -pl app -am test -Dtest=SettingsTableTest -Dsurefire.failIfNoSpecifiedTests=false "
                        + "-Dsettings.table.write=true");
    }

    @Test
    void eachRowIsOneDefineWithItsDefaultAndDoc() {
        String table = SettingsTable.markdown();
        assertTrue(table.contains("| `metering.stale.ms` | `60000` | a session whose last delta is older than this at a tick is pruned |\n"), table);
        assertTrue(table.contains("| `metering.topic.create` | `true` | create missing topics; `false`: fail at start if one is missing |\n"), table);
        assertTrue(table.contains("| `metering.http.cors.origins` | (empty) | "), table);
        assertEquals(2 + MeteringConfig.CONFIG.names().size() + Settings.APP_CONFIG.names().size(), table.lines().count());
    }
}
