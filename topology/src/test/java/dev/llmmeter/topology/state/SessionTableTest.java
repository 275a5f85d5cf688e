package dev.llmmeter.topology.state;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The intrusive session table behaves like a LinkedHashMap: lookups, replacement in place, insertion order. */
class SessionTableTest {

    private static List<String> order(SessionTable t) {
        List<String> ids = new ArrayList<>();
        for (Session s = t.first(); s != null; s = t.next(s)) {
            ids.add(s.streamId());
        }
        return ids;
    }

    @Test
    void replacingASessionKeepsItsPlace() {
        SessionTable t = new SessionTable();
        Session a = Session.begun(1);
        t.put("a", a);
        t.put("b", Session.begun(2));
        t.put("c", Session.begun(3));
        Session b2 = Session.begun(20);
        assertEquals(2, t.put("b", b2).beginTs());
        assertEquals(List.of("a", "b", "c"), order(t));
        assertSame(b2, t.get("b"));
        assertEquals(3, t.size());
        assertSame(a, t.remove("a"));
        assertNull(a.streamId(), "a removed session belongs to no table");
        assertEquals(List.of("b", "c"), order(t));
        assertNull(t.get("a"));
        assertNull(t.remove("a"));
    }

    @Test
    void matchesALinkedHashMapUnderRandomOperations() {
        SplittableRandom rnd = new SplittableRandom(3);
        SessionTable t = new SessionTable();
        Map<String, Session> m = new LinkedHashMap<>();
        for (int n = 0; n < 200_000; n++) {
            String id = "s" + rnd.nextInt(3_000);
            switch (rnd.nextInt(4)) {
                case 0, 1 -> {
                    Session s = Session.begun(n);
                    t.put(id, s);
                    m.put(id, s);
                }
                case 2 -> assertSame(m.remove(id), t.remove(id));
                default -> assertSame(m.get(id), t.get(id));
            }
            if (n % 10_000 == 0) { // a walk that drops some, as the tick does
                for (Session s = t.first(); s != null; ) {
                    Session next = t.next(s);
                    if (s.beginTs() % 7 == 0) {
                        m.remove(s.streamId());
                        t.remove(s);
                    }
                    s = next;
                }
                assertEquals(new ArrayList<>(m.keySet()), order(t));
            }
        }
        assertEquals(m.size(), t.size());
        assertEquals(new ArrayList<>(m.keySet()), order(t));
        t.clear();
        assertEquals(0, t.size());
        assertNull(t.first());
    }
}
