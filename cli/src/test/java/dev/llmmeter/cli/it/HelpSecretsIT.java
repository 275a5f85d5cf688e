package dev.llmmeter.cli.it;

import dev.llmmeter.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No command's --help prints a secret: with a password in METERING_SASL_JAAS_CONFIG and METERING_SSL_KEY_PASSWORD,
 * and another in the --config file, every command's help (in a process of its own environment, as an operator runs
 * it) shows none of them; and no command takes a secret as a flag, where it would show in the process list and the
 * shell's history (tokens come in a file).
 */
class HelpSecretsIT {
    static final String ENV_PASSWORD = "env-pw-Zq7xK2";
    static final String KEY_PASSWORD = "key-pw-Zq7xK2";
    static final String FILE_PASSWORD = "file-pw-Zq7xK2";

    @TempDir
    Path dir;

    @Test
    void noCommandsHelpPrintsAPasswordSetInTheEnvironmentOrTheConfigFile() throws Exception {
        Path config = Files.writeString(dir.resolve("cluster.properties"), "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n"
                + "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\""
                + FILE_PASSWORD + "\";\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), EveryHelp.class.getName(), config.toString());
        pb.environment().keySet().removeIf(k -> k.startsWith("METERING_"));
        pb.environment().putAll(Map.of("METERING_SECURITY_PROTOCOL", "SASL_PLAINTEXT", "METERING_SASL_MECHANISM", "SCRAM-SHA-512",
                "METERING_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\""
                        + ENV_PASSWORD + "\";",
                "METERING_SSL_KEY_PASSWORD", KEY_PASSWORD));
        Path out = dir.resolve("help.out");
        Process p = pb.redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "every --help within 120 s");
        String help = Files.readString(out);
        assertEquals(0, p.exitValue(), help);
        for (String command : Main.commandLine().getSubcommands().keySet()) {
            if (!command.equals("help")) {
                assertTrue(help.contains("Usage: metering " + command), command + ": " + help);
            }
        }
        for (String secret : List.of(ENV_PASSWORD, KEY_PASSWORD, FILE_PASSWORD, "Zq7xK2")) {
            assertFalse(help.contains(secret), secret + " in: " + help);
        }
    }

    @Test
    void noCommandTakesASecretAsAFlag() {
        List<String> secretFlags = new ArrayList<>();
        for (Map.Entry<String, CommandLine> c : Main.commandLine().getSubcommands().entrySet()) {
            for (CommandLine.Model.OptionSpec o : c.getValue().getCommandSpec().options()) {
                for (String name : o.names()) {
                    if (name.matches("(?i).*(password|jaas|secret|credential|token).*") && !name.equals("--tokens-file")) {
                        secretFlags.add(c.getKey() + " " + name);
                    }
                }
            }
        }
        assertEquals(List.of(), secretFlags);
    }

    /** Prints {@code metering --help} and each command's --help (with {@code --config FILE} where it takes one); exit 1 if any fails. */
    public static final class EveryHelp {
        public static void main(String[] args) {
            int failed = 0;
            List<List<String>> runs = new ArrayList<>();
            runs.add(List.of("--help"));
            for (Map.Entry<String, CommandLine> c : Main.commandLine().getSubcommands().entrySet()) {
                List<String> run = new ArrayList<>(List.of(c.getKey()));
                if (c.getValue().getCommandSpec().findOption("--config") != null) {
                    run.addAll(List.of("--config", args[0]));
                }
                run.add("--help");
                runs.add(run);
            }
            for (List<String> run : runs) {
                CommandLine cmd = Main.commandLine();
                StringWriter out = new StringWriter();
                cmd.setOut(new PrintWriter(out, true));
                cmd.setErr(new PrintWriter(out, true));
                int code = cmd.execute(run.toArray(String[]::new));
                System.out.println("== " + String.join(" ", run) + " (exit " + code + ")");
                System.out.println(out);
                failed += code == 0 ? 0 : 1;
            }
            System.exit(failed == 0 ? 0 : 1);
        }
    }
}
