package dev.llmmeter.serve;

import dev.llmmeter.contract.Insight;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.llmmeter.serve.Records.T0;
import static dev.llmmeter.serve.Records.bytes;
import static dev.llmmeter.serve.Records.insight;
import static dev.llmmeter.serve.Records.stream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MeteringViewTest {
    private final MeteringView view = new MeteringView(
            new MeteringView.Limits(600, 5, 3, Duration.ofMinutes(10), 2, Duration.ofSeconds(120)));

    @Test
    @DisplayName("streams beyond the cap are forgotten, the one updated longest ago first")
    void streamCap() {
        for (String id : List.of("a", "b", "c")) {
            view.offerStream(id, stream(id, "active", "10.0", "500", T0));
        }
        view.offerStream("a", stream("a", "active", "11.0", "500", T0 + 1000)); // a is now the freshest
        view.offerStream("d", stream("d", "active", "10.0", "500", T0 + 1000));

        assertTrue(view.stream("b").isEmpty());
        assertEquals(List.of(true, true, true), List.of(view.stream("a").isPresent(), view.stream("c").isPresent(),
                view.stream("d").isPresent()));
        assertEquals(1, view.evictedStreams());
    }

    @Test
    @DisplayName("a stream is forgotten once the topology's stream records are the retention past its latest; serve's clock plays no part")
    void streamRetention() {
        long topologyT = T0 + Duration.ofHours(2).toMillis(); // the topology's clock, two hours ahead of serve's
        view.offerStream("a", stream("a", "ended", "10.0", "500", topologyT));
        view.offerStream("b", stream("b", "active", "10.0", "500", topologyT + Duration.ofMinutes(10).toMillis()));
        assertTrue(view.stream("a").isPresent());
        view.offerStream("b", stream("b", "active", "10.0", "500", topologyT + Duration.ofMinutes(10).toMillis() + 1));
        assertTrue(view.stream("a").isEmpty());
        assertEquals(1, view.evictedStreams());
    }

    @Test
    @DisplayName("records that are not JSON objects with a ts are counted and ignored")
    void invalidRecords() {
        view.offerStream("a", bytes("[1,2]"));
        view.offerInsight("global", bytes("{\"group\":\"global\"}"));
        view.offerInsight(null, bytes("{}"));
        assertEquals(3, view.invalidRecords());
        assertEquals(0, view.streamCount());
        assertTrue(view.insights().isEmpty());
    }

    private List<String> groups() {
        return view.insights().stream().map(Insight::key).toList();
    }

    @Test
    @DisplayName("a group expires once the topology's own ticks are two minutes past its latest record; serve's clock plays no part")
    void groupsExpireByTheTopologysTicks() {
        long topologyT = T0 - Duration.ofHours(3).toMillis(); // the topology's clock, three hours behind serve's
        view.offerInsight("model:a", insight("model", "\"a\"", 0, "null", "0.0", "null", "null", topologyT));
        view.offerInsight("global", insight("global", "null", 1, "1.0", "1.0", "null", "null", topologyT + 120_000));
        assertEquals(List.of("global", "model:a"), groups());
        view.offerInsight("global", insight("global", "null", 1, "1.0", "1.0", "null", "null", topologyT + 120_001));
        assertEquals(List.of("global"), groups());
        assertTrue(view.insight("model:a").isEmpty());
    }

    @Test
    @DisplayName("while the topology publishes nothing, each group's latest record stands, however long")
    void aSilentTopologyExpiresNothing() {
        view.offerInsight("global", insight("global", "null", 0, "null", "0.0", "null", "null", T0));
        view.offerInsight("model:a", insight("model", "\"a\"", 0, "null", "0.0", "null", "null", T0));
        assertEquals(List.of("global", "model:a"), groups());
    }

    @Test
    @DisplayName("a topology clock that steps back (its instance moved to a host behind) keeps the groups it still publishes")
    void aTopologyClockSteppingBackExpiresOnlyWhatItNoLongerPublishes() {
        view.offerInsight("model:a", insight("model", "\"a\"", 1, "1.0", "1.0", "null", "null", T0));
        view.offerInsight("model:b", insight("model", "\"b\"", 1, "1.0", "1.0", "null", "null", T0));
        long behind = T0 - Duration.ofMinutes(10).toMillis();
        view.offerInsight("model:a", insight("model", "\"a\"", 1, "1.0", "1.0", "null", "null", behind));
        assertEquals(List.of("model:a", "model:b"), groups());
        view.offerInsight("model:a", insight("model", "\"a\"", 1, "1.0", "1.0", "null", "null", T0 + 120_001));
        assertEquals(List.of("model:a"), groups());
    }

    @Test
    @DisplayName("beyond the group cap the group silent longest makes room")
    void groupCap() {
        view.offerInsight("model:a", insight("model", "\"a\"", 1, "1.0", "1.0", "null", "null", T0 - 5000));
        view.offerInsight("model:b", insight("model", "\"b\"", 1, "1.0", "1.0", "null", "null", T0));
        view.offerInsight("model:c", insight("model", "\"c\"", 1, "1.0", "1.0", "null", "null", T0));
        assertEquals(List.of("model:b", "model:c"), view.insights().stream().map(Insight::key).toList());
    }
}
