package dev.llmmeter.cli.it;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code metering run}'s live view in a real terminal: tmux (Debian's package), a detached session of a given width
 * whose pane runs it (stderr to a file, {@code $COLUMNS} unset so the view asks the terminal), read back with
 * {@code tmux capture-pane} (wrapped lines joined, the scrollback included): no line wider than the pane, and one
 * stats line however many ticks went by.
 */
class TerminalViewIT {
    private static final Duration LOADED = Duration.ofSeconds(120); // a bound for a loaded 2-core machine, not an expectation
    private static final Path TMUX = Path.of("/usr/bin/tmux");
    private static final Pattern STATS_LINE = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d) +TPS .*$", Pattern.MULTILINE);
    private static final String SEED = "\\d\\d:\\d\\d:\\d\\d  TPS +\\S+  high +\\S+  low +\\S+  active +\\d+";

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} columns")
    @ValueSource(ints = {80, 200})
    void theStatsLineFitsThePaneAndIsRedrawnInPlace(int columns) throws Exception {
        assertTrue(Files.isExecutable(TMUX), "tmux is not installed (apt-get install tmux): " + TMUX);
        String socket = "metering-view-" + columns + "-" + ProcessHandle.current().pid();
        Path script = dir.resolve("run.sh");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.writeString(script, "cd '" + dir + "'\n"
                + "for v in $(env | sed -n 's/^\\(METERING_[A-Za-z0-9_]*\\)=.*/\\1/p'); do unset \"$v\"; done\n"
                + "unset COLUMNS\n"
                + "exec '" + java + "' -Xmx512m -cp '" + System.getProperty("java.class.path") + "' dev.llmmeter.cli.Main "
                + "run --duration 600 --http-port 0 2> run.err\n");
        Path conf = Files.writeString(dir.resolve("tmux.conf"), "set -g remain-on-exit on\nset -g history-limit 2000\n");
        try {
            tmux(socket, "-f", conf.toString(), "new-session", "-d", "-s", "view", "-x", String.valueOf(columns), "-y", "12",
                    "sh " + script);
            List<String> captures = new ArrayList<>();
            Set<String> ticks = new TreeSet<>();
            await("five ticks drawn").atMost(LOADED).pollInterval(Duration.ofMillis(300)).until(() -> {
                String pane = tmux(socket, "capture-pane", "-p", "-J", "-S", "-", "-t", "view");
                captures.add(pane);
                Matcher m = STATS_LINE.matcher(pane);
                while (m.find()) {
                    ticks.add(m.group(1));
                }
                return ticks.size() >= 5;
            });
            for (String pane : captures) {
                for (String line : pane.split("\n")) {
                    assertTrue(line.codePointCount(0, line.length()) < columns,
                            line.length() + " characters in a pane of " + columns + ": '" + line + "'\n" + pane);
                }
                long statsLines = STATS_LINE.matcher(pane).results().count();
                assertTrue(statsLines <= 1, statsLines + " stats lines, one expected:\n" + pane);
            }
            String last = STATS_LINE.matcher(captures.get(captures.size() - 1)).results().map(MatchResult::group)
                    .collect(Collectors.joining());
            String expected = columns >= 200
                    ? SEED + "  TTFT p50 +\\S+ p99 +\\S+ ms  system +\\S+ tok/s  [▁▂▃▄▅▆▇█ ]+" // all of it, the sparkline too
                    : SEED;                                                                 // the seed's figures alone
            assertTrue(last.matches(expected), "at " + columns + " columns: '" + last + "'");

            tmux(socket, "send-keys", "-t", "view", "C-c");
            await("metering run stopped by Ctrl-C").atMost(LOADED).pollInterval(Duration.ofMillis(300))
                    .until(() -> tmux(socket, "display-message", "-p", "-t", "view", "#{pane_dead}").trim(), "1"::equals);
            String after = tmux(socket, "capture-pane", "-p", "-J", "-S", "-", "-t", "view");
            assertEquals(1, STATS_LINE.matcher(after).results().count(), "one stats line after the stop:\n" + after);
        } finally {
            tmux(socket, "kill-server");
        }
    }

    /** {@code tmux -L SOCKET ARGS}: its stdout (an error exits non-zero: said with stderr). */
    private static String tmux(String socket, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(TMUX.toString(), "-u", "-L", socket));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("tmux " + args[0] + " did not finish");
        }
        if (p.exitValue() != 0 && !args[0].equals("kill-server")) {
            throw new IOException("tmux " + String.join(" ", args) + " exited " + p.exitValue() + ": " + out);
        }
        return out;
    }
}
