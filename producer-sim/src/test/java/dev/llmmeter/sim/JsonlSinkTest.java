package dev.llmmeter.sim;

import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.DeltaEventCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonlSinkTest {

    @Test
    void everyLineOfTheTraceDecodesToTheGeneratedEvent(@TempDir Path dir) throws IOException {
        SimulationConfig c = SimulationConfig.of(25, 30, 30, 3, TrafficGeneratorTest.START);
        Path file = dir.resolve("trace.jsonl");
        Simulator.Result result;
        try (JsonlSink sink = JsonlSink.open(file)) {
            result = new Simulator(Pacer.none(), Progress.silent(), () -> false).run(new TrafficGenerator(c), sink);
        }
        List<DeltaEvent> expected = TrafficGeneratorTest.all(c);
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(expected.size(), lines.size());
        assertEquals(expected.size(), result.events());
        for (int i = 0; i < lines.size(); i++) {
            assertEquals(expected.get(i), DeltaEventCodec.decode(lines.get(i).getBytes(StandardCharsets.UTF_8)), "line " + (i + 1));
        }
        byte[] bytes = Files.readAllBytes(file);
        assertEquals('\n', bytes[bytes.length - 1], "the last line is terminated");
    }

    @Test
    void linesAreTheCanonicalWireForm() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonlSink sink = new JsonlSink(out, false)) {
            sink.send(DeltaEvent.begin("sim-1-1", 1000));
            sink.send(DeltaEvent.reasoning("sim-1-1", 1200, 1));
            sink.send(DeltaEvent.output("sim-1-1", 1300, 1));
            sink.send(DeltaEvent.end("sim-1-1", 1400, 1, 77));
        }
        assertEquals("""
                {"type":"begin","stream_id":"sim-1-1","ts":1000}
                {"type":"reasoning","stream_id":"sim-1-1","ts":1200,"running":1}
                {"type":"output","stream_id":"sim-1-1","ts":1300,"running":1}
                {"type":"end","stream_id":"sim-1-1","ts":1400,"final_output_tokens":1,"input_tokens":77}
                """, out.toString(StandardCharsets.UTF_8));
        assertTrue(out.size() > 0);
    }
}
