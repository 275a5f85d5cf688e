package dev.llmmeter.app;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ServeCommandTest {
    @Test
    @DisplayName("--http-host with an address this machine lacks says so in one line (not 'port already in use') and exits 2")
    void anHttpHostThisMachineLacksIsNamedAsSuch() {
        CommandLine cmd = ServiceMain.commandLine();
        StringWriter err = new StringWriter();
        cmd.setErr(new PrintWriter(err));
        // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine
        int exit = cmd.execute("serve", "--bootstrap-servers", "127.0.0.1:1", "--http-port", "0", "--http-host", "192.0.2.1");
        assertEquals(2, exit);
        assertEquals("metering serve: --http-host 192.0.2.1 is not an address of this machine", err.toString().lines().findFirst().orElseThrow());
    }
}
