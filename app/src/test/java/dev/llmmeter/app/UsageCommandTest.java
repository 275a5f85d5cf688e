package dev.llmmeter.app;

import dev.llmmeter.contract.Usage;
import dev.llmmeter.serve.usage.UsageLedgerView;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UsageCommandTest {
    /** 2026-12-05T10:00:00Z */
    static final long H10 = 1_796_464_800_000L;

    private static String[] run(String... args) {
        CommandLine cmd = ServiceMain.commandLine();
        StringWriter err = new StringWriter();
        cmd.setErr(new PrintWriter(err));
        int exit = cmd.execute(args);
        return new String[] {Integer.toString(exit), err.toString().lines().findFirst().orElse("")};
    }

    @Test
    @DisplayName("bad usage exits 2 with one line naming the option, before any connection")
    void badUsageExits2() {
        assertEquals("2", run("usage", "--bootstrap-servers", "127.0.0.1:1", "--from", "5", "--to", "5")[0]);
        assertEquals("metering usage: --from must be before to",
                run("usage", "--bootstrap-servers", "127.0.0.1:1", "--from", "5", "--to", "5")[1]);
        assertEquals("metering usage: --window must be minute or hour, got \"day\"",
                run("usage", "--bootstrap-servers", "127.0.0.1:1", "--from", "0", "--to", "1", "--window", "day")[1]);
        String[] missing = run("usage", "--bootstrap-servers", "127.0.0.1:1", "--to", "1");
        assertEquals("2", missing[0]);
        assertEquals("metering usage: Missing required option: '--from=TIME'", missing[1]);
    }

    @Test
    @DisplayName("--help lists the exit codes")
    void helpListsExitCodes() {
        String help = ServiceMain.commandLine().getSubcommands().get("usage").getUsageMessage(CommandLine.Help.Ansi.OFF);
        assertTrue(help.contains("0   printed the windows"), help);
        assertTrue(help.contains("1   failed (cluster unreachable, the topic missing or unreadable)"), help);
        assertTrue(help.contains("2   bad usage or settings"), help);
    }

    private static UsageLedgerView ledger() {
        UsageLedgerView v = new UsageLedgerView();
        v.offer(new Usage("a", "/s", "acme", "m1", Usage.Window.HOUR, H10, H10 + 3_600_000, 2, BigInteger.valueOf(1000),
                BigInteger.valueOf(50), BigInteger.valueOf(5), BigInteger.valueOf(100), 0, null));
        v.offer(new Usage("b", "/s", "a,b", null, Usage.Window.HOUR, H10, H10 + 3_600_000, 1, BigInteger.ONE,
                BigInteger.ONE, BigInteger.ZERO, BigInteger.ZERO, 0, null));
        return v;
    }

    @Test
    @DisplayName("the table: aligned columns, numbers right-aligned, a total line; none in range says so")
    void table() {
        assertEquals(String.join("\n",
                "window_start          tenant  model   requests  input_tokens  output_tokens  reasoning_tokens  cached_input_tokens  tokens",
                "2026-12-05T10:00:00Z  a,b     (none)         1             1              1                 0                    0       2",
                "2026-12-05T10:00:00Z  acme    m1             2          1000             50                 5                  100    1055",
                "total                                        3          1001             51                 5                  100    1057",
                ""), UsageCommand.table(ledger().rows(Usage.Window.HOUR, 0, Long.MAX_VALUE, null, null)));
        assertEquals("no usage in this range\n", UsageCommand.table(java.util.List.of()));
    }

    @Test
    @DisplayName("--csv: RFC 4180, a header and one line per window, a missing name empty, a comma quoted")
    void csv() {
        assertEquals("window_start,tenant,model,requests,input_tokens,output_tokens,reasoning_tokens,cached_input_tokens,tokens\r\n"
                        + "2026-12-05T10:00:00Z,\"a,b\",,1,1,1,0,0,2\r\n"
                        + "2026-12-05T10:00:00Z,acme,m1,2,1000,50,5,100,1055\r\n",
                UsageCommand.csv(ledger().rows(Usage.Window.HOUR, 0, Long.MAX_VALUE, null, null)));
    }
}
