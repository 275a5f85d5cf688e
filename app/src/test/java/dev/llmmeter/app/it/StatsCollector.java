package dev.llmmeter.app.it;

import dev.llmmeter.contract.Stats;
import dev.llmmeter.devkit.StatsRecorder;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** devkit's {@link StatsRecorder} with the tests' waits (Awaitility) and the rules every consumer may rely on. */
public final class StatsCollector extends StatsRecorder {
    public StatsCollector(String bootstrap, Map<String, Object> client) {
        super(bootstrap, client);
    }

    public StatsCollector(String bootstrap, Map<String, Object> client, String topic) {
        super(bootstrap, client, topic);
    }

    /**
     * Waits (Awaitility) until some record received matches, and returns the first that does; fails after the
     * timeout, listing what came. Timeouts are generous bounds for a loaded machine, not expectations.
     */
    public Stats await(Predicate<Stats> p, Duration timeout, String what) {
        return await(p, 1, timeout, what).get(0);
    }

    /** Waits (Awaitility) until {@code count} records received match, and returns the first {@code count} that do. */
    public List<Stats> await(Predicate<Stats> p, int count, Duration timeout, String what) {
        String records = count == 1 ? "a stats record " : count + " stats records ";
        try {
            return Awaitility.await(records + what).atMost(timeout).pollInterval(Duration.ofMillis(100))
                    .until(() -> stats().stream().filter(p).limit(count).toList(), matching -> matching.size() == count);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("no " + records + what + " within " + timeout.toSeconds() + " s; got " + stats(), e);
        }
    }

    /**
     * What a consumer may rely on, however loaded the machine: each record's tick is a whole second, and ticks only
     * go up, none twice. Not that they are 1000 ms apart: past the combiner's catch-up bound, or under at-least-once,
     * a tick can be missing (see {@link #spacings}).
     */
    static void assertWholeSecondsStrictlyIncreasing(List<Stats> stats) {
        for (int i = 0; i < stats.size(); i++) {
            Stats s = stats.get(i);
            assertEquals(0, Math.floorMod(s.ts(), 1000L), "tick on a whole second: " + s);
            if (i > 0) {
                assertTrue(s.ts() > stats.get(i - 1).ts(), "ticks strictly increasing, none twice: " + stats.get(i - 1) + " then " + s);
            }
        }
    }

    /** The spacing of consecutive ticks, for the output: "n records over t s, spacings {1000 ms: a, 2000 ms: b}". */
    static String spacings(List<Stats> stats) {
        Map<Long, Long> gaps = new TreeMap<>();
        for (int i = 1; i < stats.size(); i++) {
            gaps.merge(stats.get(i).ts() - stats.get(i - 1).ts(), 1L, Long::sum);
        }
        long span = stats.size() < 2 ? 0 : stats.get(stats.size() - 1).ts() - stats.get(0).ts();
        StringBuilder b = new StringBuilder(stats.size() + " records over " + span / 1000 + " s, spacings {");
        gaps.forEach((gap, n) -> b.append(b.charAt(b.length() - 1) == '{' ? "" : ", ").append(gap).append(" ms: ").append(n));
        return b.append('}').toString();
    }
}
