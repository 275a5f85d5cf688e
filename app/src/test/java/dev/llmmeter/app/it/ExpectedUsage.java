package dev.llmmeter.app.it;

import dev.llmmeter.contract.Usage;

import java.math.BigInteger;
import java.util.Collection;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What the usage ledger must bill for a trace, by the simplest model that states the rule: each stream is one
 * request, billed once, under its (tenant, model). An ended stream is billed from its end alone, as the ledger's
 * session meter does: the provider's {@code final_output_tokens} (whatever the running count), and its
 * {@code input_tokens}, {@code reasoning_tokens} and {@code cached_input_tokens}, each 0 when the end leaves it out
 * (reasoning too, whatever reasoning deltas the stream had). A stream that never ends is billed from the meter's
 * running counts (output and reasoning; no input, no cached input) and counted as metered.
 *
 * <p>Windows do not matter here: the sum over all minute windows, and over all hour windows, equals the totals.
 */
public final class ExpectedUsage {
    /** A (tenant, model) pair; either may be null (none named). */
    public record Key(String tenant, String model) implements Comparable<Key> {
        private static final Comparator<Key> ORDER = Comparator.comparing(Key::tenant, Comparator.nullsFirst(Comparator.naturalOrder()))
                .thenComparing(Key::model, Comparator.nullsFirst(Comparator.naturalOrder()));

        @Override
        public int compareTo(Key o) {
            return ORDER.compare(this, o);
        }

        @Override
        public String toString() {
            return (tenant == null ? "-" : tenant) + "/" + (model == null ? "-" : model);
        }
    }

    /** Sums of billed requests, as the ledger's records carry them. */
    public record Totals(long requests, BigInteger inputTokens, BigInteger outputTokens, BigInteger reasoningTokens,
                         BigInteger cachedInputTokens, long meteredRequests) {
        public static final Totals ZERO = new Totals(0, BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO, 0);

        public Totals plus(Totals o) {
            return new Totals(requests + o.requests, inputTokens.add(o.inputTokens), outputTokens.add(o.outputTokens),
                    reasoningTokens.add(o.reasoningTokens), cachedInputTokens.add(o.cachedInputTokens), meteredRequests + o.meteredRequests);
        }

        static Totals of(long input, long output, long reasoning, long cached, boolean metered) {
            return new Totals(1, BigInteger.valueOf(input), BigInteger.valueOf(output), BigInteger.valueOf(reasoning),
                    BigInteger.valueOf(cached), metered ? 1 : 0);
        }

        static Totals of(Usage u) {
            return new Totals(u.requests(), u.inputTokens(), u.outputTokens(), u.reasoningTokens(), u.cachedInputTokens(),
                    u.meteredRequests());
        }
    }

    private ExpectedUsage() {
    }

    /** The one request a stream bills. */
    public static Totals billed(UsageTrace.Stream s) {
        UsageTrace.End e = s.end();
        if (e == null) {
            return Totals.of(0, s.runningOutput(), s.runningReasoning(), 0, true);
        }
        return Totals.of(orZero(e.inputTokens()), e.finalOutputTokens(), orZero(e.reasoningTokens()),
                orZero(e.cachedInputTokens()), false);
    }

    /** Totals per (tenant, model) over every stream of the trace. */
    public static Map<Key, Totals> totals(Collection<UsageTrace.Stream> streams) {
        Map<Key, Totals> m = new TreeMap<>();
        for (UsageTrace.Stream s : streams) {
            m.merge(new Key(s.tenant(), s.model()), billed(s), Totals::plus);
        }
        return m;
    }

    /** Totals per (tenant, model) of the ledger's records of one window size, first records and amendments alike. */
    public static Map<Key, Totals> sum(Collection<Usage> records, Usage.Window window) {
        Map<Key, Totals> m = new TreeMap<>();
        for (Usage u : records) {
            if (u.window() == window) {
                m.merge(new Key(u.tenant(), u.model()), Totals.of(u), Totals::plus);
            }
        }
        return m;
    }

    private static long orZero(Long v) {
        return Objects.requireNonNullElse(v, 0L);
    }
}
