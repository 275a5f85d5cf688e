package dev.llmmeter.serve.usage;

import dev.llmmeter.contract.Usage;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The usage ledger ({@code metering.usage}) as serve holds it: each (window, start, tenant, model) with the sum of
 * its first record and its amendments. Records are told apart by id: one read twice (a topic read again from its
 * beginning) counts once.
 *
 * <p>Bounded: it holds at most {@code maxRecords} records; beyond that, the oldest windows (smallest start, minute
 * and hour alike) are dropped first, and {@link #droppedWindows()} counts them. The cumulative counters behind
 * {@code /metrics} ({@link #counters()}) are not dropped: they keep at most {@code maxLabelPairs} (tenant, model)
 * pairs, and fold the records of any further pair into tenant and model {@value #OTHER}. Thread-safe.
 */
public final class UsageLedgerView {
    public static final int DEFAULT_MAX_RECORDS = 100_000;
    public static final int DEFAULT_MAX_LABEL_PAIRS = 1000;
    /** The label of the (tenant, model) pairs beyond the bound, and of nothing else. */
    public static final String OTHER = "other";
    private static final long DAY_MS = 86_400_000L;

    /** One window of one (tenant, model); tenant and model null when the streams named none. */
    public record WindowKey(Usage.Window window, long start, String tenant, String model) {
    }

    /** A window's totals: the sums over its records. */
    public record Totals(long requests, BigInteger inputTokens, BigInteger outputTokens, BigInteger reasoningTokens,
                         BigInteger cachedInputTokens, long meteredRequests, int records) {
        public static final Totals ZERO = new Totals(0, BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO, 0, 0);

        public Totals plus(Usage u) {
            return new Totals(requests + u.requests(), inputTokens.add(u.inputTokens()), outputTokens.add(u.outputTokens()),
                    reasoningTokens.add(u.reasoningTokens()), cachedInputTokens.add(u.cachedInputTokens()),
                    meteredRequests + u.meteredRequests(), records + 1);
        }

        public Totals plus(Totals t) {
            return new Totals(requests + t.requests, inputTokens.add(t.inputTokens), outputTokens.add(t.outputTokens),
                    reasoningTokens.add(t.reasoningTokens), cachedInputTokens.add(t.cachedInputTokens),
                    meteredRequests + t.meteredRequests, records + t.records);
        }

        /** Input + output + reasoning tokens (cached input tokens are part of the input tokens). */
        public BigInteger tokens() {
            return inputTokens.add(outputTokens).add(reasoningTokens);
        }
    }

    /** A window with its end and totals. */
    public record Row(WindowKey key, long end, Totals totals) {
    }

    /** A (tenant, model) label pair of the counters, with its cumulative totals. */
    public record Counter(String tenant, String model, Totals totals) {
    }

    private static final class Held {
        final long end;
        Totals totals = Totals.ZERO;
        final List<String> ids = new ArrayList<>(1);

        Held(long end) {
            this.end = end;
        }
    }

    private final int maxRecords;
    private final int maxLabelPairs;
    private final Map<WindowKey, Held> windows = new HashMap<>();
    private final TreeMap<Long, Set<WindowKey>> byStart = new TreeMap<>();
    private final Set<String> ids = new HashSet<>();
    private final Map<List<String>, Totals> counters = new LinkedHashMap<>();
    private long newestEnd = -1;
    private long droppedWindows;
    private long newestDroppedStart = -1;
    private long repeatedRecords;

    public UsageLedgerView() {
        this(DEFAULT_MAX_RECORDS, DEFAULT_MAX_LABEL_PAIRS);
    }

    public UsageLedgerView(int maxRecords, int maxLabelPairs) {
        if (maxRecords < 1 || maxLabelPairs < 1) {
            throw new IllegalArgumentException("bounds must be positive");
        }
        this.maxRecords = maxRecords;
        this.maxLabelPairs = maxLabelPairs;
    }

    /** @return false when a record of this id was taken already (it is not counted again) */
    public synchronized boolean offer(Usage u) {
        if (!ids.add(u.id())) {
            repeatedRecords++;
            return false;
        }
        WindowKey key = new WindowKey(u.window(), u.windowStart(), u.tenant(), u.model());
        Held held = windows.computeIfAbsent(key, k -> {
            byStart.computeIfAbsent(k.start(), s -> new HashSet<>()).add(k);
            return new Held(u.windowEnd());
        });
        held.totals = held.totals.plus(u);
        held.ids.add(u.id());
        newestEnd = Math.max(newestEnd, u.windowEnd());
        List<String> pair = List.of(label(u.tenant()), label(u.model()));
        if (!counters.containsKey(pair) && counters.size() >= maxLabelPairs) {
            pair = List.of(OTHER, OTHER);
        }
        counters.merge(pair, Totals.ZERO.plus(u), Totals::plus);
        enforceBound();
        return true;
    }

    /** Drops the oldest windows while more than {@code maxRecords} records are held. */
    private void enforceBound() {
        while (ids.size() > maxRecords && !byStart.isEmpty()) {
            for (WindowKey k : byStart.pollFirstEntry().getValue()) {
                Held gone = windows.remove(k);
                gone.ids.forEach(ids::remove);
                droppedWindows++;
                newestDroppedStart = Math.max(newestDroppedStart, k.start());
            }
        }
    }

    /** A counter label: a name the streams did not give is "null", as in serve's other metrics. */
    private static String label(String name) {
        return name == null ? "null" : name;
    }

    /**
     * The windows of this size whose start is in [{@code from}, {@code to}), of this tenant and model (null: any),
     * by start, then tenant, then model.
     */
    public synchronized List<Row> rows(Usage.Window window, long from, long to, String tenant, String model) {
        List<Row> out = new ArrayList<>();
        for (Set<WindowKey> keys : byStart.subMap(from, true, to, false).values()) {
            for (WindowKey k : keys) {
                if (k.window() == window && (tenant == null || tenant.equals(k.tenant()))
                        && (model == null || model.equals(k.model()))) {
                    Held h = windows.get(k);
                    out.add(new Row(k, h.end, h.totals));
                }
            }
        }
        Comparator<String> names = Comparator.nullsFirst(Comparator.naturalOrder());
        out.sort(Comparator.comparingLong((Row r) -> r.key().start())
                .thenComparing(r -> r.key().tenant(), names).thenComparing(r -> r.key().model(), names));
        return out;
    }

    /** The cumulative totals per (tenant, model) label pair since serve started reading, in first-seen order. */
    public synchronized List<Counter> counters() {
        List<Counter> out = new ArrayList<>(counters.size());
        counters.forEach((pair, totals) -> out.add(new Counter(pair.get(0), pair.get(1), totals)));
        return out;
    }

    /** The latest window end read: the ledger's clock (the topology's), -1 when nothing was read. */
    public synchronized long newestEnd() {
        return newestEnd;
    }

    /** Records held now (first records and amendments). */
    public synchronized int records() {
        return ids.size();
    }

    /** Windows dropped because the view held more than its bound. */
    public synchronized long droppedWindows() {
        return droppedWindows;
    }

    /** Records read again under an id already taken, not counted twice. */
    public synchronized long repeatedRecords() {
        return repeatedRecords;
    }

    public int maxRecords() {
        return maxRecords;
    }

    /**
     * Each tenant's totals in the hour and the UTC day holding the ledger's newest window end (the topology's clock,
     * not serve's): summed over minute windows when the ledger holds any, else over hour windows. The windows of a
     * (tenant, model) pair beyond the label bound are summed under tenant {@value #OTHER}, as in {@link #counters()}.
     * By tenant name, the tenant the streams did not name (null) first.
     */
    public synchronized Summary summary() {
        return summary(k -> true, this::shownTenant);
    }

    /**
     * {@link #summary()} of one tenant's windows alone, all under its name: what a tenant's token is shown. The label
     * bound is for the counters; here it would move the tenant's own sums under {@value #OTHER}, or show a tenant
     * named so the sums of others.
     */
    public synchronized Summary summaryOf(String tenant) {
        return summary(k -> java.util.Objects.equals(tenant, k.tenant()), k -> tenant);
    }

    private Summary summary(java.util.function.Predicate<WindowKey> of, java.util.function.Function<WindowKey, String> shownAs) {
        Map<String, TenantTotals> out = new TreeMap<>(Comparator.nullsFirst(Comparator.naturalOrder()));
        if (newestEnd < 0) {
            return new Summary(-1, -1, -1, true, out);
        }
        long now = newestEnd - 1; // the newest window's last millisecond
        long hourStart = Usage.Window.HOUR.startOf(now);
        long dayStart = now - Math.floorMod(now, DAY_MS);
        boolean minutes = windows.keySet().stream().anyMatch(k -> k.window() == Usage.Window.MINUTE);
        Usage.Window by = minutes ? Usage.Window.MINUTE : Usage.Window.HOUR;
        for (Set<WindowKey> keys : byStart.tailMap(dayStart, true).values()) {
            for (WindowKey k : keys) {
                if (k.window() != by || !of.test(k)) {
                    continue;
                }
                Totals t = windows.get(k).totals;
                out.merge(shownAs.apply(k), new TenantTotals(k.start() >= hourStart ? t : Totals.ZERO, t), TenantTotals::plus);
            }
        }
        return new Summary(newestEnd, hourStart, dayStart, newestDroppedStart < dayStart, out);
    }

    /** The tenant a window is summed under: its own, or {@value #OTHER} when its pair is beyond the label bound. */
    private String shownTenant(WindowKey k) {
        return counters.containsKey(List.of(label(k.tenant()), label(k.model()))) ? k.tenant() : OTHER;
    }

    /** A tenant's totals in the summary's hour and day. */
    public record TenantTotals(Totals hour, Totals day) {
        TenantTotals plus(TenantTotals t) {
            return new TenantTotals(hour.plus(t.hour), day.plus(t.day));
        }
    }

    /**
     * {@link #summary()}: the newest window end ({@code asOf}) and the starts of the hour and the UTC day holding it
     * (all -1 when the ledger is empty); {@code complete} false when the view dropped windows of that day (its bound
     * of records), whose sums are then missing.
     */
    public record Summary(long asOf, long hourStart, long dayStart, boolean complete, Map<String, TenantTotals> tenants) {
    }

    @Override
    public String toString() {
        return "UsageLedgerView[" + records() + " records, bound " + maxRecords + "]";
    }
}
