package dev.llmmeter.cli;

import dev.llmmeter.app.ClusterOptions;
import dev.llmmeter.app.ConfigFileOption;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every command of bin/metering takes --bootstrap-servers and --config from the one mixin each, never a copy. */
class ClusterOptionsUseTest {
    @Test
    @DisplayName("the commands that talk to a cluster take ClusterOptions; replay and bench take ConfigFileOption")
    void eachCommandTakesTheMixins() {
        Map<String, List<String>> mixins = new TreeMap<>();
        CommandLine main = Main.commandLine();
        main.getSubcommands().forEach((name, sub) -> {
            List<String> types = sub.getCommandSpec().mixins().values().stream()
                    .map(m -> m.userObject().getClass().getSimpleName())
                    .filter(t -> t.equals(ClusterOptions.class.getSimpleName()) || t.equals(ConfigFileOption.class.getSimpleName()))
                    .toList();
            if (!types.isEmpty() || sub.getCommandSpec().findOption("--config") != null
                    || sub.getCommandSpec().findOption("--bootstrap-servers") != null) {
                mixins.put(name, types);
            }
        });
        assertEquals(Map.of("bench", List.of("ConfigFileOption"), "replay", List.of("ConfigFileOption"),
                "run", List.of("ClusterOptions"), "serve", List.of("ClusterOptions"), "simulate", List.of("ClusterOptions"),
                "tail", List.of("ClusterOptions"), "topology", List.of("ClusterOptions"), "usage", List.of("ClusterOptions")), mixins);
    }

    @Test
    @DisplayName("a missing --config file is the same usage error, exit 2, in replay as in the cluster commands")
    void aMissingConfigFileIsExitTwoInReplay() {
        Path missing = Path.of("no-such-dir", "nope.properties");
        CommandLine cmd = Main.commandLine();
        StringWriter err = new StringWriter();
        cmd.setErr(new PrintWriter(err));
        assertEquals(2, cmd.execute("replay", "--input", "-", "--config", missing.toString()));
        assertEquals(List.of("metering replay: config file not found: " + missing, "Run 'metering replay --help' for usage."),
                err.toString().lines().toList());
    }
}
