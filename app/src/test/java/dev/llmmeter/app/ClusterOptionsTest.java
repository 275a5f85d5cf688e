package dev.llmmeter.app;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cluster options mixin: --bootstrap-servers and --config FILE, defined once for every command. */
class ClusterOptionsTest {
    @TempDir
    Path dir;

    @Command(name = "probe")
    static final class Probe implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        ClusterOptions cluster;
        Settings settings;

        @Override
        public Integer call() {
            settings = cluster.requireCluster(spec.commandLine(), new Properties());
            return 0;
        }
    }

    private record Run(int exit, String err, Probe probe) {
    }

    private static Run probe(String... args) {
        Probe probe = new Probe();
        CommandLine cmd = ServiceMain.configure(new CommandLine(probe));
        StringWriter err = new StringWriter();
        cmd.setErr(new PrintWriter(err));
        return new Run(cmd.execute(args), err.toString(), probe);
    }

    @Test
    @DisplayName("the flag and the file are layered with the other settings: the flag over the file")
    void theFlagAndTheFileAreRead() throws IOException {
        Path file = Files.writeString(dir.resolve("c.properties"), "bootstrap.servers=file:1\nmetering.stale.ms=5000\n");
        Run run = probe("--bootstrap-servers", "flag:1", "--config", file.toString());
        assertEquals(0, run.exit(), run.err());
        assertEquals("flag:1", run.probe().settings.bootstrapServers());
        assertEquals(5000, run.probe().settings.metering().staleMs());
        assertEquals(file, run.probe().cluster.config().file());

        Run fromFile = probe("--config", file.toString());
        assertEquals("file:1", fromFile.probe().settings.bootstrapServers());
        assertNull(fromFile.probe().cluster.bootstrapServers());
    }

    @Test
    @DisplayName("a missing config file is a usage error naming it: one line and the pointer to --help, exit 2")
    void aMissingConfigFileIsExitTwo() {
        Path missing = dir.resolve("nope.properties");
        Run run = probe("--bootstrap-servers", "b:1", "--config", missing.toString());
        assertEquals(2, run.exit());
        assertEquals(List.of("probe: config file not found: " + missing, "Run 'probe --help' for usage."), run.err().lines().toList());
    }

    @Test
    @DisplayName("an unreadable config file (a directory, a malformed \\u escape) is a usage error naming it, exit 2")
    void anUnreadableConfigFileIsExitTwo() throws IOException {
        Run directory = probe("--bootstrap-servers", "b:1", "--config", dir.toString());
        assertEquals(2, directory.exit());
        assertTrue(directory.err().startsWith("probe: cannot read config file " + dir + ": "), directory.err());
        assertEquals(2, directory.err().lines().count(), directory.err());

        Path malformed = Files.writeString(dir.resolve("bad.properties"), "metering.topic.stats=\\uZZZZ\n");
        Run bad = probe("--bootstrap-servers", "b:1", "--config", malformed.toString());
        assertEquals(2, bad.exit());
        assertEquals(List.of("probe: cannot read config file " + malformed + ": Malformed \\uxxxx encoding.", "Run 'probe --help' for usage."),
                bad.err().lines().toList());
    }

    @Test
    @DisplayName("with no bootstrap servers in any layer, a command that needs a cluster says so, exit 2")
    void noBootstrapServersIsExitTwo() {
        Run run = probe();
        assertEquals(2, run.exit());
        assertEquals("probe: no bootstrap servers: pass --bootstrap-servers or set METERING_BOOTSTRAP_SERVERS",
                run.err().lines().findFirst().orElseThrow());
    }

    @Test
    @DisplayName("every service command takes both options from the mixin, with one description each")
    void everyServiceCommandHasBothOptions() {
        CommandLine main = ServiceMain.commandLine();
        String bootstrap = new CommandLine(new Probe()).getCommandSpec().findOption("--bootstrap-servers").description()[0];
        String config = new CommandLine(new Probe()).getCommandSpec().findOption("--config").description()[0];
        for (String name : List.of("topology", "tail", "serve")) {
            CommandLine.Model.CommandSpec spec = main.getSubcommands().get(name).getCommandSpec();
            assertEquals(bootstrap, spec.findOption("--bootstrap-servers").description()[0], name);
            assertEquals(config, spec.findOption("--config").description()[0], name);
            String usage = main.getSubcommands().get(name).getUsageMessage(CommandLine.Help.Ansi.OFF);
            assertTrue(usage.contains("--bootstrap-servers=HOST:PORT[,...]") && usage.contains("--config=FILE"), usage);
        }
    }
}
