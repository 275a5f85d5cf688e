package dev.llmmeter.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every command's --help renders whole: exit 0, the usage on stdout, nothing on stderr (picocli warns there). */
class HelpTextTest {
    @Test
    void everyCommandsHelpRendersWithoutAFormatWarning() {
        Map<String, String> stderr = new TreeMap<>();
        PrintStream before = System.err;
        CommandLine main = Main.commandLine();
        for (String name : main.getSubcommands().keySet()) {
            CommandLine cmd = Main.commandLine();
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            cmd.setOut(new PrintWriter(out));
            cmd.setErr(new PrintWriter(err));
            ByteArrayOutputStream tracer = new ByteArrayOutputStream();
            System.setErr(new PrintStream(tracer, true, StandardCharsets.UTF_8)); // picocli's tracer writes here
            int code;
            try {
                code = cmd.execute(name, "--help");
            } finally {
                System.setErr(before);
            }
            assertEquals(0, code, name + " --help");
            assertTrue(out.toString().contains("Usage: metering " + name), name + ": " + out);
            String warnings = err + tracer.toString(StandardCharsets.UTF_8);
            if (!warnings.isEmpty()) {
                stderr.put(name, warnings);
            }
        }
        assertEquals(Map.of(), stderr, "what --help wrote to stderr");
    }
}
