package dev.llmmeter.sim;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.EventType;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.llmmeter.sim.TrafficGeneratorTest.START;
import static dev.llmmeter.sim.TrafficGeneratorTest.all;
import static dev.llmmeter.sim.TrafficGeneratorTest.byStream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** simulate's realistic fleet: several models of distinct pace and TTFT, tenants, multi-token deltas. */
class FleetTrafficTest {
    private static final SimulationConfig FLEET = SimulationConfig.of(200, 30, 60, 11, START).withoutFailures()
            .withReasoningFraction(0).withRealisticFleet();

    @Test
    void everyBeginNamesAModelAndATenantOfTheFleet() {
        Set<String> models = new HashSet<>();
        Set<String> tenants = new HashSet<>();
        for (DeltaEvent e : all(FLEET)) {
            if (e.type() == EventType.BEGIN) {
                models.add(e.model());
                tenants.add(e.tenant());
            }
        }
        assertEquals(Set.copyOf(ModelProfile.FLEET.stream().map(ModelProfile::name).toList()), models);
        assertEquals(Set.copyOf(ModelProfile.TENANTS), tenants);
    }

    @Test
    void eachModelKeepsItsTimeToFirstDeltaAndItsPace() {
        Map<String, ModelProfile> profiles = new HashMap<>();
        ModelProfile.FLEET.forEach(p -> profiles.put(p.name(), p));
        Map<String, double[]> gaps = new HashMap<>(); // model -> {sum of gaps, count}
        for (List<DeltaEvent> stream : byStream(all(FLEET)).values()) {
            ModelProfile p = profiles.get(stream.get(0).model());
            if (stream.size() < 3 || stream.get(1).type() != EventType.OUTPUT) {
                continue;
            }
            long ttft = stream.get(1).ts() - stream.get(0).ts();
            assertTrue(ttft >= p.minTtftMs() && ttft <= p.maxTtftMs(), p.name() + " ttft " + ttft);
            double[] g = gaps.computeIfAbsent(p.name(), k -> new double[2]);
            for (int i = 2; i < stream.size() && stream.get(i).type() == EventType.OUTPUT; i++) {
                g[0] += stream.get(i).ts() - stream.get(i - 1).ts();
                g[1]++;
            }
        }
        // the fastest model's deltas come closest together, the slowest's furthest apart (means within +-30% of 1000/rate)
        for (ModelProfile p : ModelProfile.FLEET) {
            double mean = gaps.get(p.name())[0] / gaps.get(p.name())[1];
            double expected = 1000.0 / p.deltasPerSecond();
            assertTrue(Math.abs(mean - expected) < 0.3 * expected, p.name() + ": mean gap " + mean + " vs " + expected);
        }
    }

    @Test
    void deltasCarrySeveralTokensUpToTheModelsMost() {
        Map<String, ModelProfile> profiles = new HashMap<>();
        ModelProfile.FLEET.forEach(p -> profiles.put(p.name(), p));
        int multi = 0;
        for (List<DeltaEvent> stream : byStream(all(FLEET)).values()) {
            ModelProfile p = profiles.get(stream.get(0).model());
            long last = 0;
            for (DeltaEvent e : stream) {
                if (e.type() == EventType.OUTPUT) {
                    long step = e.running() - last;
                    assertTrue(step >= 1 && step <= p.maxTokensPerDelta(), p.name() + " step " + step);
                    multi += step > 1 ? 1 : 0;
                    last = e.running();
                } else if (e.type() == EventType.END) {
                    assertEquals(last, e.finalOutputTokens(), "the end reports the tokens, not the deltas");
                }
            }
        }
        assertTrue(multi > 1000, "multi-token deltas: " + multi);
    }

    @Test
    void thePlainTrafficNamesNoModelAndCountsOneTokenPerDelta() {
        SimulationConfig plain = SimulationConfig.of(50, 30, 30, 11, START);
        assertEquals(List.of(), plain.models());
        for (List<DeltaEvent> stream : byStream(all(plain)).values()) {
            assertNull(stream.get(0).model());
            assertNull(stream.get(0).tenant());
            long output = 0;
            long reasoning = 0;
            for (DeltaEvent e : stream) {
                switch (e.type()) {
                    case OUTPUT -> assertEquals(++output, e.running());
                    case REASONING -> assertEquals(++reasoning, e.running());
                    default -> {
                    }
                }
            }
        }
    }

    @Test
    void theFleetIsDeterministicForASeed() {
        assertEquals(all(FLEET), all(FLEET));
    }

    @Test
    void tenantNamesAreValidatedLikeTheContract() {
        assertThrows(IllegalArgumentException.class, () -> FLEET.withFleet(ModelProfile.FLEET, List.of("")));
        assertThrows(IllegalArgumentException.class, () -> new ModelProfile("m", 10, 500, 100, 1));
    }
}
