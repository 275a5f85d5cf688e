package dev.llmmeter.serve.usage;

import dev.llmmeter.contract.Usage;
import dev.llmmeter.serve.usage.UsageLedgerView.Counter;
import dev.llmmeter.serve.usage.UsageLedgerView.Row;
import dev.llmmeter.serve.usage.UsageLedgerView.Summary;
import dev.llmmeter.serve.usage.UsageLedgerView.Totals;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UsageLedgerViewTest {
    /** 2026-12-05T10:00:00Z */
    static final long H10 = 1_796_464_800_000L;
    static final String SRC = "/llm-metering/test";

    static Usage first(Usage.Window w, long start, String tenant, String model, long requests, long in, long out) {
        return new Usage(Usage.windowId(SRC, w, start, tenant, model), SRC, tenant, model, w, start, start + w.sizeMs(),
                requests, BigInteger.valueOf(in), BigInteger.valueOf(out), BigInteger.valueOf(2), BigInteger.valueOf(1), 0, null);
    }

    static Usage amendment(Usage of, String stream, long requests, long in, long out) {
        return new Usage(Usage.amendmentId(of.id(), stream), SRC, of.tenant(), of.model(), of.window(), of.windowStart(),
                of.windowEnd(), requests, BigInteger.valueOf(in), BigInteger.valueOf(out), BigInteger.ZERO, BigInteger.ZERO, requests, of.id());
    }

    @Test
    @DisplayName("an amendment is summed into the window it amends: one row with both records' totals")
    void amendmentsAreSummedIntoTheirWindow() {
        UsageLedgerView v = new UsageLedgerView();
        Usage u = first(Usage.Window.MINUTE, H10, "acme", "m1", 3, 100, 50);
        v.offer(u);
        v.offer(amendment(u, "s9", 1, 10, 5));
        List<Row> rows = v.rows(Usage.Window.MINUTE, H10, H10 + 60_000, null, null);
        assertEquals(1, rows.size());
        assertEquals(new Totals(4, BigInteger.valueOf(110), BigInteger.valueOf(55), BigInteger.valueOf(2), BigInteger.ONE, 1, 2),
                rows.get(0).totals());
        assertEquals(H10 + 60_000, rows.get(0).end());
    }

    @Test
    @DisplayName("a record read twice under its id counts once, in the rows and in the counters")
    void aRecordReadTwiceCountsOnce() {
        UsageLedgerView v = new UsageLedgerView();
        Usage u = first(Usage.Window.HOUR, H10, "acme", "m1", 3, 100, 50);
        assertTrue(v.offer(u));
        assertFalse(v.offer(u));
        assertEquals(1, v.records());
        assertEquals(1, v.repeatedRecords());
        assertEquals(3, v.counters().get(0).totals().requests());
    }

    @Test
    @DisplayName("rows: window size, [from, to) on the start, tenant and model filters; ordered by start, tenant, model")
    void rowsAreSelectedAndOrdered() {
        UsageLedgerView v = new UsageLedgerView();
        v.offer(first(Usage.Window.MINUTE, H10 + 60_000, "acme", "m1", 1, 1, 1));
        v.offer(first(Usage.Window.MINUTE, H10, "zeta", "m1", 1, 1, 1));
        v.offer(first(Usage.Window.MINUTE, H10, "acme", "m2", 1, 1, 1));
        v.offer(first(Usage.Window.MINUTE, H10, null, "m1", 1, 1, 1));
        v.offer(first(Usage.Window.MINUTE, H10 + 120_000, "acme", "m1", 1, 1, 1)); // start == to: out
        v.offer(first(Usage.Window.HOUR, H10, "acme", "m1", 1, 1, 1));              // another size: out
        List<String> got = v.rows(Usage.Window.MINUTE, H10, H10 + 120_000, null, null).stream()
                .map(r -> (r.key().start() - H10) / 60_000 + "/" + r.key().tenant() + "/" + r.key().model()).toList();
        assertEquals(List.of("0/null/m1", "0/acme/m2", "0/zeta/m1", "1/acme/m1"), got);
        assertEquals(2, v.rows(Usage.Window.MINUTE, H10, H10 + 120_000, "acme", null).size());
        assertEquals(1, v.rows(Usage.Window.MINUTE, H10, H10 + 120_000, "acme", "m2").size());
    }

    @Test
    @DisplayName("beyond its bound of records the view drops its oldest windows first and counts them; counters keep the sums")
    void theBoundDropsTheOldestWindowsFirst() {
        UsageLedgerView v = new UsageLedgerView(3, 1000);
        v.offer(first(Usage.Window.MINUTE, H10, "a", "m", 1, 1, 1));
        v.offer(first(Usage.Window.MINUTE, H10, "b", "m", 1, 1, 1));
        v.offer(first(Usage.Window.MINUTE, H10 + 60_000, "a", "m", 1, 1, 1));
        v.offer(first(Usage.Window.MINUTE, H10 + 120_000, "a", "m", 1, 1, 1));
        assertEquals(2, v.droppedWindows());
        assertEquals(2, v.records());
        assertEquals(List.of(H10 + 60_000, H10 + 120_000),
                v.rows(Usage.Window.MINUTE, 0, Long.MAX_VALUE, null, null).stream().map(r -> r.key().start()).toList());
        assertEquals(3, v.counters().get(0).totals().requests()); // tenant a: its three records, none forgotten
    }

    @Test
    @DisplayName("counters keep at most the bound of (tenant, model) pairs; further pairs are summed under other/other")
    void labelPairsBeyondTheBoundFoldIntoOther() {
        UsageLedgerView v = new UsageLedgerView(100, 2);
        v.offer(first(Usage.Window.MINUTE, H10, "a", "m", 1, 10, 0));
        v.offer(first(Usage.Window.MINUTE, H10, null, "m", 2, 20, 0));
        v.offer(first(Usage.Window.MINUTE, H10, "c", "m", 3, 30, 0));
        v.offer(first(Usage.Window.MINUTE, H10, "d", "n", 4, 40, 0));
        v.offer(first(Usage.Window.MINUTE, H10 + 60_000, "a", "m", 5, 50, 0));
        List<String> got = v.counters().stream().map(c -> c.tenant() + "/" + c.model() + "=" + c.totals().requests()
                + "," + c.totals().inputTokens()).toList();
        assertEquals(List.of("a/m=6,60", "null/m=2,20", "other/other=7,70"), got);
    }

    @Test
    @DisplayName("summary: each tenant's minute windows in the hour and the UTC day of the newest window end")
    void summaryIsThisHourAndToday() {
        UsageLedgerView v = new UsageLedgerView();
        long day = H10 - 10 * 3_600_000L;
        v.offer(first(Usage.Window.MINUTE, day - 60_000, "acme", "m", 1, 1000, 0));  // yesterday: out
        v.offer(first(Usage.Window.MINUTE, day + 60_000, "acme", "m", 1, 100, 0));  // today, an earlier hour
        v.offer(first(Usage.Window.MINUTE, H10, "acme", "m", 1, 10, 0));            // this hour
        v.offer(first(Usage.Window.MINUTE, H10 + 60_000, "beta", "m", 1, 1, 0));    // this hour; newest end H10+2m
        v.offer(first(Usage.Window.HOUR, day, "acme", "m", 1, 100, 0));             // hour windows not added to minutes
        Summary s = v.summary();
        assertEquals(List.of("acme", "beta"), List.copyOf(s.tenants().keySet()));
        assertEquals(BigInteger.valueOf(10 + 2), s.tenants().get("acme").hour().tokens()); // input + output + reasoning (2)
        assertEquals(BigInteger.valueOf(110 + 4), s.tenants().get("acme").day().tokens());
        assertEquals(BigInteger.valueOf(1 + 2), s.tenants().get("beta").hour().tokens());
        assertEquals(H10 + 120_000, s.asOf());
        assertEquals(H10, s.hourStart());
        assertEquals(day, s.dayStart());
        assertTrue(s.complete());
    }

    @Test
    @DisplayName("summary of a ledger of hour windows only sums the hour windows")
    void summaryOfHourWindows() {
        UsageLedgerView v = new UsageLedgerView();
        v.offer(first(Usage.Window.HOUR, H10 - 3_600_000L, "acme", "m", 1, 100, 0));
        v.offer(first(Usage.Window.HOUR, H10, "acme", "m", 1, 10, 0));
        Summary s = v.summary();
        assertEquals(BigInteger.valueOf(12), s.tenants().get("acme").hour().tokens());
        assertEquals(BigInteger.valueOf(114), s.tenants().get("acme").day().tokens());
    }

    @Test
    @DisplayName("summary: the windows of (tenant, model) pairs beyond the label bound are summed under tenant other")
    void summaryFoldsPairsBeyondTheBoundIntoOther() {
        UsageLedgerView v = new UsageLedgerView(100, 2);
        v.offer(first(Usage.Window.MINUTE, H10, "acme", "m1", 1, 10, 0));
        v.offer(first(Usage.Window.MINUTE, H10, "beta", "m1", 1, 20, 0));
        v.offer(first(Usage.Window.MINUTE, H10, "acme", "m2", 1, 30, 0));  // a third pair: other
        v.offer(first(Usage.Window.MINUTE, H10, "gamma", "m1", 1, 40, 0)); // a fourth: other
        v.offer(first(Usage.Window.MINUTE, H10 + 60_000, "acme", "m1", 1, 50, 0));
        Map<String, BigInteger> day = new LinkedHashMap<>();
        v.summary().tenants().forEach((t, totals) -> day.put(t, totals.day().inputTokens()));
        assertEquals(Map.of("acme", BigInteger.valueOf(60), "beta", BigInteger.valueOf(20), "other", BigInteger.valueOf(70)), day);
        assertEquals(List.of("acme", "beta", "other"), List.copyOf(day.keySet()));
    }

    @Test
    @DisplayName("summaryOf(tenant): that tenant's windows alone, all under its name, also its pairs beyond the label bound")
    void summaryOfOneTenantKeepsItsOwnSums() {
        UsageLedgerView v = new UsageLedgerView(100, 2);
        v.offer(first(Usage.Window.MINUTE, H10, "acme", "m1", 1, 10, 0));
        v.offer(first(Usage.Window.MINUTE, H10, "beta", "m1", 1, 20, 0));
        v.offer(first(Usage.Window.MINUTE, H10, "acme", "m2", 1, 30, 0));  // beyond the bound: other in summary()
        v.offer(first(Usage.Window.MINUTE, H10, "gamma", "m1", 1, 40, 0)); // beyond the bound
        Map<String, BigInteger> acme = new LinkedHashMap<>();
        v.summaryOf("acme").tenants().forEach((t, totals) -> acme.put(t, totals.day().inputTokens()));
        assertEquals(Map.of("acme", BigInteger.valueOf(40)), acme);
        assertEquals(List.of("gamma"), List.copyOf(v.summaryOf("gamma").tenants().keySet()));
        assertEquals(Map.of(), v.summaryOf("other").tenants(), "a tenant named other sees no one else's sums");
        assertEquals(v.summary().asOf(), v.summaryOf("acme").asOf());
    }

    @Test
    @DisplayName("summary: not complete once the view's bound dropped a window of that day; complete while it dropped only earlier days")
    void summaryIsIncompleteOnceTheBoundDroppedAWindowOfTheDay() {
        UsageLedgerView v = new UsageLedgerView(2, 1000);
        v.offer(first(Usage.Window.MINUTE, H10 - 11 * 3_600_000L, "acme", "m", 1, 1, 0)); // yesterday
        v.offer(first(Usage.Window.MINUTE, H10, "acme", "m", 1, 10, 0));
        v.offer(first(Usage.Window.MINUTE, H10 + 60_000, "acme", "m", 1, 100, 0));          // drops yesterday's
        assertTrue(v.summary().complete());
        v.offer(first(Usage.Window.MINUTE, H10 + 120_000, "acme", "m", 1, 1000, 0));        // drops H10's
        Summary s = v.summary();
        assertFalse(s.complete());
        assertEquals(BigInteger.valueOf(1100), s.tenants().get("acme").day().inputTokens());
    }

    @Test
    @DisplayName("token sums beyond 64 bits stay exact")
    void sumsBeyond64BitsStayExact() {
        UsageLedgerView v = new UsageLedgerView();
        BigInteger big = BigInteger.valueOf(Long.MAX_VALUE);
        Usage u = new Usage("x", SRC, "t", "m", Usage.Window.MINUTE, H10, H10 + 60_000, 1, big, BigInteger.ZERO,
                BigInteger.ZERO, BigInteger.ZERO, 0, null);
        v.offer(u);
        v.offer(new Usage("y", SRC, "t", "m", Usage.Window.MINUTE, H10, H10 + 60_000, 1, big, BigInteger.ZERO,
                BigInteger.ZERO, BigInteger.ZERO, 0, "x"));
        Counter c = v.counters().get(0);
        assertEquals(big.multiply(BigInteger.TWO), c.totals().inputTokens());
    }
}
