package dev.llmmeter.replay;

import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.MeteringTopology;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The replay of each golden trace must print, line for line and byte for byte, what the seed's own
 * GlobalMeter produced for it (see tools/golden/README.md for how the expected files were made).
 */
class GoldenTraceTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"three_streams", "busy_mix", "hour_window", "hour_partial", "rounding", "boundaries"})
    @DisplayName("replay reproduces the seed's stats for the golden trace")
    void replayReproducesTheSeed(String trace) throws Exception {
        assertReplayGivesTheSeedsOutput(trace, new Replayer(MeteringConfig.defaults(), Duration.ofSeconds(65)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"three_streams", "busy_mix", "hour_window", "hour_partial", "rounding", "boundaries"})
    @DisplayName("the graph that ships (RocksDB, changelogs, the partials repartition topic) reproduces the seed's stats too")
    void productionGraphReproducesTheSeed(String trace) throws Exception {
        assertReplayGivesTheSeedsOutput(trace,
                new Replayer(MeteringConfig.defaults(), Duration.ofSeconds(65), MeteringTopology.Durability.DURABLE));
    }

    private static void assertReplayGivesTheSeedsOutput(String trace, Replayer replayer) throws Exception {
        List<String> expected = lines(trace + ".expected.jsonl");
        List<String> actual = new ArrayList<>();
        List<String> deadLetters = new ArrayList<>();
        replayer.replay(resource(trace + ".jsonl"), actual::add, deadLetters::add);
        assertEquals(List.of(), deadLetters);
        assertEquals(expected.size(), actual.size(), "number of stats records");
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i), actual.get(i), "stats record " + (i + 1));
        }
    }

    private static List<String> lines(String resource) throws IOException {
        try (BufferedReader r = reader(resource)) {
            return r.lines().filter(l -> !l.isBlank()).toList();
        }
    }

    private static BufferedReader reader(String resource) {
        return new BufferedReader(new InputStreamReader(resource(resource), StandardCharsets.UTF_8));
    }

    static InputStream resource(String resource) {
        InputStream in = GoldenTraceTest.class.getResourceAsStream("/golden/" + resource);
        assertNotNull(in, "missing test resource golden/" + resource);
        return in;
    }
}
