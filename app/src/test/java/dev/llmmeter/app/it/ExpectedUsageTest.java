package dev.llmmeter.app.it;

import dev.llmmeter.app.it.ExpectedUsage.Key;
import dev.llmmeter.app.it.ExpectedUsage.Totals;
import dev.llmmeter.contract.Usage;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ExpectedUsageTest {
    static final UsageTrace.Stream REASONED = new UsageTrace.Stream("a", "t0", "m0", 1_000, List.of(
            new UsageTrace.Delta("reasoning", 2_000, 7), new UsageTrace.Delta("output", 3_000, 4), new UsageTrace.Delta("output", 4_000, 9)),
            new UsageTrace.End(5_000, 12, 300L, null, 100L));
    static final UsageTrace.Stream PROVIDER = new UsageTrace.Stream("b", "t0", "m0", 1_000, List.of(
            new UsageTrace.Delta("reasoning", 2_000, 7), new UsageTrace.Delta("output", 3_000, 4)),
            new UsageTrace.End(5_000, 4, null, 20L, null));
    static final UsageTrace.Stream UNENDED = new UsageTrace.Stream("c", "t0", "m0", 1_000, List.of(
            new UsageTrace.Delta("reasoning", 2_000, 5), new UsageTrace.Delta("output", 3_000, 6)), null);
    static final UsageTrace.Stream ANONYMOUS = new UsageTrace.Stream("d", null, null, 1_000, List.of(
            new UsageTrace.Delta("output", 3_000, 2)), new UsageTrace.End(4_000, 2, 10L, 0L, 10L));

    @Test
    @DisplayName("an end's provider figures win over the running counts; a figure it leaves out is 0, reasoning included")
    void endedStreams() {
        assertEquals(totals(1, 300, 12, 0, 100, 0), ExpectedUsage.billed(REASONED));
        assertEquals(totals(1, 0, 4, 20, 0, 0), ExpectedUsage.billed(PROVIDER));
        assertEquals(totals(1, 10, 2, 0, 10, 0), ExpectedUsage.billed(ANONYMOUS));
    }

    @Test
    @DisplayName("a stream never ended bills the meter's running counts, no input, and counts as metered")
    void unendedStream() {
        assertEquals(totals(1, 0, 6, 5, 0, 1), ExpectedUsage.billed(UNENDED));
    }

    @Test
    @DisplayName("totals add up per (tenant, model), none a key of its own")
    void perTenantAndModel() {
        assertEquals(Map.of(new Key("t0", "m0"), totals(3, 300, 22, 25, 100, 1), new Key(null, null), totals(1, 10, 2, 0, 10, 0)),
                ExpectedUsage.totals(List.of(REASONED, PROVIDER, UNENDED, ANONYMOUS)));
    }

    @Test
    @DisplayName("the ledger's records sum per window size, amendments included, the other size left out")
    void ledgerSums() {
        Usage first = usage("w1", Usage.Window.MINUTE, 2, 300, 16, 27, 100, 0, null);
        Usage amendment = usage("a1", Usage.Window.MINUTE, 1, 0, 6, 5, 0, 1, "w1");
        Usage hour = usage("h1", Usage.Window.HOUR, 3, 300, 22, 32, 100, 1, null);
        assertEquals(Map.of(new Key("t0", "m0"), totals(3, 300, 22, 32, 100, 1)),
                ExpectedUsage.sum(List.of(first, amendment, hour), Usage.Window.MINUTE));
        assertEquals(ExpectedUsage.sum(List.of(first, amendment, hour), Usage.Window.MINUTE),
                ExpectedUsage.sum(List.of(first, amendment, hour), Usage.Window.HOUR));
    }

    private static Usage usage(String id, Usage.Window w, long requests, long input, long output, long reasoning, long cached,
                               long metered, String amends) {
        return new Usage(id, "/llm-metering/x", "t0", "m0", w, 0, w.sizeMs(), requests, BigInteger.valueOf(input),
                BigInteger.valueOf(output), BigInteger.valueOf(reasoning), BigInteger.valueOf(cached), metered, amends);
    }

    private static Totals totals(long requests, long input, long output, long reasoning, long cached, long metered) {
        return new Totals(requests, BigInteger.valueOf(input), BigInteger.valueOf(output), BigInteger.valueOf(reasoning),
                BigInteger.valueOf(cached), metered);
    }
}
