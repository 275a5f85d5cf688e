package dev.llmmeter.app.it;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UsageTraceTest {
    static final long BASE = 1_790_000_000_000L - 1_790_000_000_000L % 3_600_000L;
    static final UsageTrace TRACE = UsageTrace.generate(42, 3000, 45_000, BASE, 120);

    @Test
    @DisplayName("the same seed gives the same events, byte for byte; the base only shifts the times")
    void deterministic() {
        assertEquals(TRACE.events(), UsageTrace.generate(42, 3000, 45_000, BASE, 120).events());
        UsageTrace shifted = UsageTrace.generate(42, 3000, 45_000, BASE + 3_600_000, 120);
        assertEquals(TRACE.streams().stream().map(s -> s.beginTs() + 3_600_000).toList(),
                shifted.streams().stream().map(UsageTrace.Stream::beginTs).toList());
        assertEquals(ExpectedUsage.totals(TRACE.streams()), ExpectedUsage.totals(shifted.streams()));
    }

    @Test
    @DisplayName("seed 42: its mix of tenants, models, unended streams, provider figures and duplicate ends")
    void mix() {
        List<UsageTrace.Stream> s = TRACE.streams();
        assertEquals(3000, s.size());
        assertEquals(286, s.stream().filter(x -> x.tenant() == null).count(), "no tenant");
        assertEquals(300, s.stream().filter(x -> x.model() == null).count(), "no model");
        assertEquals(166, s.stream().filter(x -> x.end() == null).count(), "never ended");
        assertEquals(579, s.stream().filter(x -> x.end() != null && x.end().reasoningTokens() == null && x.runningReasoning() > 0).count(),
                "ended without a reasoning figure but with reasoning deltas");
        assertEquals(569, s.stream().filter(x -> x.end() != null && x.end().inputTokens() == null).count(), "ends without input_tokens");
        assertEquals(1138, s.stream().filter(x -> x.end() != null && x.end().cachedInputTokens() != null).count(), "ends with cached_input_tokens");
        assertEquals(821, s.stream().filter(x -> x.end() != null && x.end().finalOutputTokens() > x.runningOutput()).count(),
                "provider output above the running count");
        assertEquals(156, TRACE.events().stream().filter(e -> e.duplicate() && !e.late()).count(), "ends sent twice at once");
        assertEquals(146, TRACE.events().stream().filter(UsageTrace.Event::late).count(), "ends sent twice after the trace");
        assertEquals(16901, TRACE.events().size(), "events");
        // Two minutes of event time a second: 45 s of trace span more than one hour window.
        assertTrue(TRACE.lastTs() - BASE > 3_600_000, "spans two hour windows: " + (TRACE.lastTs() - BASE));
    }

    @Test
    @DisplayName("each stream's events go out in order: begin, rising running counts at rising times, end; a duplicate is the end's very bytes")
    void streamsInOrder() {
        Map<String, List<UsageTrace.Event>> byStream = new HashMap<>();
        long lastAt = -1;
        boolean lateSeen = false;
        for (UsageTrace.Event e : TRACE.events()) {
            assertTrue(e.at() >= lastAt, "sending order: " + e);
            lastAt = e.at();
            assertTrue(!lateSeen || e.late(), "late duplicates come last: " + e);
            lateSeen |= e.late();
            byStream.computeIfAbsent(e.streamId(), k -> new java.util.ArrayList<>()).add(e);
        }
        for (UsageTrace.Stream s : TRACE.streams()) {
            List<UsageTrace.Event> ev = byStream.get(s.id());
            assertTrue(ev.get(0).json().startsWith("{\"type\":\"begin\""), s.id());
            int firsts = (int) ev.stream().filter(e -> !e.duplicate()).count();
            assertEquals(1 + s.deltas().size() + (s.end() == null ? 0 : 1), firsts, s.id());
            long ts = s.beginTs();
            for (UsageTrace.Delta d : s.deltas()) {
                assertTrue(d.ts() > ts, s.id());
                ts = d.ts();
            }
            if (s.end() != null) {
                assertTrue(s.end().ts() > ts, s.id());
                String endJson = ev.get(firsts - 1).json();
                ev.stream().filter(UsageTrace.Event::duplicate).forEach(d -> assertEquals(endJson, d.json(), s.id()));
            } else {
                assertTrue(ev.stream().noneMatch(UsageTrace.Event::duplicate), s.id());
            }
        }
        assertEquals(3000, TRACE.streams().stream().map(UsageTrace.Stream::id).distinct().count(), "ids unique");
    }

    @Test
    @DisplayName("the JSON of each event type, optional figures left out")
    void json() {
        assertEquals("{\"type\":\"begin\",\"stream_id\":\"s\",\"ts\":5,\"model\":\"m0\",\"tenant\":\"t1\"}", UsageTrace.begin("s", 5, "t1", "m0"));
        assertEquals("{\"type\":\"begin\",\"stream_id\":\"s\",\"ts\":5}", UsageTrace.begin("s", 5, null, null));
        assertEquals("{\"type\":\"reasoning\",\"stream_id\":\"s\",\"ts\":6,\"running\":3}", UsageTrace.delta("s", new UsageTrace.Delta("reasoning", 6, 3)));
        assertEquals("{\"type\":\"end\",\"stream_id\":\"s\",\"ts\":7,\"final_output_tokens\":9,\"input_tokens\":100,\"reasoning_tokens\":4,\"cached_input_tokens\":60}",
                UsageTrace.end("s", new UsageTrace.End(7, 9, 100L, 4L, 60L)));
        assertEquals("{\"type\":\"end\",\"stream_id\":\"s\",\"ts\":7,\"final_output_tokens\":9}", UsageTrace.end("s", new UsageTrace.End(7, 9, null, null, null)));
    }
}
