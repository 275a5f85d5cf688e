package dev.llmmeter.serve.usage;

import dev.llmmeter.contract.Usage;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class UsageQueryTest {
    static Map<String, List<String>> params(String... kv) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.computeIfAbsent(kv[i], k -> new java.util.ArrayList<>()).add(kv[i + 1]);
        }
        return m;
    }

    static String bad(String... kv) {
        return assertThrows(UsageQuery.BadQuery.class, () -> UsageQuery.parse(params(kv))).getMessage();
    }

    @Test
    @DisplayName("from and to as ISO-8601 instants or epoch ms; window defaults to hour; tenant and model optional")
    void parsesInstantsAndEpochMillis() {
        assertEquals(new UsageQuery(null, null, 1_796_464_800_000L, 1_796_468_400_000L, Usage.Window.HOUR),
                UsageQuery.parse(params("from", "2026-12-05T10:00:00Z", "to", "1796468400000")));
        assertEquals(new UsageQuery("acme", "m1", 0, 60_000, Usage.Window.MINUTE),
                UsageQuery.parse(params("tenant", "acme", "model", "m1", "from", "0", "to", "60000", "window", "minute")));
    }

    @Test
    @DisplayName("bad parameters are refused with a sentence naming them")
    void badParametersAreNamed() {
        assertEquals("from is required (an ISO-8601 instant such as 2026-12-05T10:00:00Z, or epoch ms)", bad("to", "1"));
        assertEquals("from must be before to", bad("from", "5", "to", "5"));
        assertEquals("window must be minute or hour, got \"day\"", bad("from", "0", "to", "1", "window", "day"));
        assertEquals("unknown parameter \"tenants\"; known: tenant, model, from, to, window", bad("tenants", "a", "from", "0", "to", "1"));
        assertEquals("parameter tenant given 2 times", bad("tenant", "a", "tenant", "b", "from", "0", "to", "1"));
        assertEquals("tenant must be 1-256 characters, got 0", bad("tenant", "", "from", "0", "to", "1"));
        assertEquals("to must be an ISO-8601 instant such as 2026-12-05T10:00:00Z, or epoch ms, got \"yesterday\"",
                bad("from", "0", "to", "yesterday"));
        assertEquals("from is beyond epoch ms range: \"99999999999999999999\"", bad("from", "99999999999999999999", "to", "1"));
    }
}
