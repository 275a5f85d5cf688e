package dev.llmmeter.cli;

import dev.llmmeter.replay.Replayer;
import dev.llmmeter.contract.DeltaEvent;
import dev.llmmeter.contract.DeltaEventCodec;
import dev.llmmeter.sim.SimulationConfig;
import dev.llmmeter.sim.TrafficGenerator;
import dev.llmmeter.topology.MeteringConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulateCommandTest {
    static final long START = 1_790_000_000_000L;

    @TempDir
    Path dir;

    /** One run of {@code metering ...}: exit code and what it wrote. */
    record Run(int exit, String out, String err) {
    }

    static Run metering(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int exit = cmd.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void outputWritesTheGeneratedTraceOneDecodableEventPerLine() throws IOException {
        Path trace = dir.resolve("trace.jsonl");
        Run run = metering("simulate", "--output", trace.toString(), "--streams", "8", "--rate", "25",
                "--duration", "20", "--seed", "9", "--start", String.valueOf(START));
        assertEquals(0, run.exit(), run.err());

        List<DeltaEvent> expected = new ArrayList<>();
        new TrafficGenerator(SimulationConfig.of(8, 25, 20, 9, START)).forEachRemaining(expected::add);
        List<String> lines = Files.readAllLines(trace, StandardCharsets.UTF_8);
        assertEquals(expected.size(), lines.size());
        for (int i = 0; i < lines.size(); i++) {
            assertEquals(expected.get(i), DeltaEventCodec.decode(lines.get(i).getBytes(StandardCharsets.UTF_8)), "line " + (i + 1));
        }
        assertTrue(lines.get(0).startsWith("{\"type\":\"begin\",\"stream_id\":\"sim-9-"), lines.get(0));
        assertTrue(run.err().startsWith("simulate: " + String.format(java.util.Locale.ROOT, "%,d", lines.size()) + " events to " + trace + " in "),
                run.err());
        assertEquals(1, run.err().lines().count(), "one summary line: " + run.err());
        assertEquals("", run.out());
    }

    @Test
    void theSameOptionsWriteTheSameTrace() throws IOException {
        Path a = dir.resolve("a.jsonl");
        Path b = dir.resolve("b.jsonl");
        for (Path p : List.of(a, b)) {
            assertEquals(0, metering("simulate", "--output", p.toString(), "--duration", "10", "--seed", "3",
                    "--start", String.valueOf(START)).exit());
        }
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    }

    @Test
    void withoutStartTheTraceBeginsNow() throws IOException {
        Path trace = dir.resolve("now.jsonl");
        long before = System.currentTimeMillis();
        assertEquals(0, metering("simulate", "--output", trace.toString(), "--duration", "5").exit());
        DeltaEvent first = DeltaEventCodec.decode(Files.readAllLines(trace).get(0).getBytes(StandardCharsets.UTF_8));
        assertTrue(first.ts() >= before && first.ts() < System.currentTimeMillis() + 5000, "first ts " + first.ts());
    }

    @Test
    void theTraceReplaysWithoutDeadLettersOrOutOfOrderOrUnknownDeltas() throws Exception {
        Path trace = dir.resolve("replay.jsonl");
        assertEquals(0, metering("simulate", "--output", trace.toString(), "--streams", "10", "--duration", "15",
                "--seed", "5", "--start", String.valueOf(START)).exit());
        List<String> stats = new ArrayList<>();
        List<String> deadLetters = new ArrayList<>();
        Replayer.Summary s = new Replayer(MeteringConfig.defaults(), Duration.ofSeconds(5))
                .replay(Files.newInputStream(trace), stats::add, deadLetters::add);
        assertEquals(List.of(), deadLetters);
        assertEquals(Files.readAllLines(trace).size(), s.events());
        assertEquals(0, s.outOfOrder());
        assertEquals(0, s.unknownStream());
        assertFalse(stats.isEmpty());
        assertTrue(stats.stream().anyMatch(l -> l.contains("\"tps_available\":true")), "some tick has a tps");
    }

    @Test
    void fleetWritesTheRealisticFleetsTraceWhoseBeginsNameEveryModelAndTenant() throws IOException {
        Path trace = dir.resolve("fleet.jsonl");
        Run run = metering("simulate", "--output", trace.toString(), "--fleet", "--streams", "40", "--duration", "20",
                "--seed", "4", "--start", String.valueOf(START));
        assertEquals(0, run.exit(), run.err());

        List<DeltaEvent> expected = new ArrayList<>();
        new TrafficGenerator(SimulationConfig.of(40, 30, 20, 4, START).withRealisticFleet()).forEachRemaining(expected::add);
        List<DeltaEvent> events = decodeAll(trace);
        assertEquals(expected, events);
        assertEquals(java.util.Set.of("llama-3.1-8b", "mixtral-8x7b", "llama-3.1-70b", "gpt-oss-120b"),
                valuesOnBegins(events, DeltaEvent::model));
        assertEquals(java.util.Set.of("acme", "globex", "initech", "umbrella", "hooli"), valuesOnBegins(events, DeltaEvent::tenant));
        assertTrue(events.stream().noneMatch(e -> e.type() == dev.llmmeter.contract.EventType.BEGIN
                && (e.model() == null || e.tenant() == null)), "every begin names its model and tenant");
        assertTrue(maxTokensInOneDelta(events) > 1, "deltas carry several tokens");
    }

    @Test
    void modelsAndTenantsTakeTheFirstOfTheFleetsLists() throws IOException {
        Path trace = dir.resolve("fleet2.jsonl");
        Run run = metering("simulate", "--output", trace.toString(), "--fleet", "--models", "2", "--tenants", "1",
                "--streams", "30", "--duration", "10", "--seed", "4", "--start", String.valueOf(START));
        assertEquals(0, run.exit(), run.err());
        List<DeltaEvent> events = decodeAll(trace);
        assertEquals(java.util.Set.of("llama-3.1-8b", "mixtral-8x7b"), valuesOnBegins(events, DeltaEvent::model));
        assertEquals(java.util.Set.of("acme"), valuesOnBegins(events, DeltaEvent::tenant));
    }

    @Test
    void fleetOptionsAreChecked() {
        String out = dir.resolve("t.jsonl").toString();
        assertUsageError("--models applies only with --fleet", "simulate", "--output", out, "--models", "2");
        assertUsageError("--tenants applies only with --fleet", "simulate", "--output", out, "--tenants", "2");
        assertUsageError("--models must be between 1 and 4, got 5", "simulate", "--output", out, "--fleet", "--models", "5");
        assertUsageError("--tenants must be between 1 and 5, got 0", "simulate", "--output", out, "--fleet", "--tenants", "0");
        assertUsageError("--rate does not apply with --fleet: each model has its own pace", "simulate", "--output", out,
                "--fleet", "--rate", "10");
    }

    private static List<DeltaEvent> decodeAll(Path trace) throws IOException {
        List<DeltaEvent> events = new ArrayList<>();
        for (String line : Files.readAllLines(trace, StandardCharsets.UTF_8)) {
            events.add(DeltaEventCodec.decode(line.getBytes(StandardCharsets.UTF_8)));
        }
        return events;
    }

    private static java.util.Set<String> valuesOnBegins(List<DeltaEvent> events, java.util.function.Function<DeltaEvent, String> field) {
        java.util.Set<String> values = new java.util.HashSet<>();
        for (DeltaEvent e : events) {
            if (e.type() == dev.llmmeter.contract.EventType.BEGIN) {
                values.add(field.apply(e));
            }
        }
        return values;
    }

    /** The largest rise of a stream's output running count from one delta to the next. */
    private static long maxTokensInOneDelta(List<DeltaEvent> events) {
        java.util.Map<String, Long> last = new java.util.HashMap<>();
        long max = 0;
        for (DeltaEvent e : events) {
            if (e.type() == dev.llmmeter.contract.EventType.OUTPUT) {
                Long before = last.put(e.streamId(), e.running());
                max = Math.max(max, e.running() - (before == null ? 0 : before));
            }
        }
        return max;
    }

    @Test
    void aDestinationIsRequired() {
        Run run = metering("simulate", "--streams", "5");
        assertEquals(2, run.exit());
        assertTrue(run.err().startsWith("metering simulate: specify where the events go: --bootstrap-servers (a Kafka cluster) "
                + "or --output (a trace file)"), run.err());
        assertTrue(run.err().contains("Run 'metering simulate --help' for usage."), run.err());
    }

    @Test
    void kafkaAndAFileAreMutuallyExclusive() {
        Run run = metering("simulate", "--bootstrap-servers", "localhost:9092", "--output", dir.resolve("t").toString());
        assertEquals(2, run.exit());
        assertTrue(run.err().startsWith("metering simulate: --bootstrap-servers and --output are mutually exclusive"), run.err());
    }

    @Test
    void numbersMustBePositive() {
        String out = dir.resolve("t.jsonl").toString();
        assertUsageError("--streams must be positive, got 0", "simulate", "--output", out, "--streams", "0");
        assertUsageError("--streams must be positive, got -3", "simulate", "--output", out, "--streams", "-3");
        assertUsageError("--rate must be a positive number, got 0.0", "simulate", "--output", out, "--rate", "0");
        assertUsageError("--rate must be a positive number, got NaN", "simulate", "--output", out, "--rate", "NaN");
        assertUsageError("--rate must be at least 0.01 deltas per second, got 0.001", "simulate", "--output", out, "--rate", "0.001");
        assertUsageError("--duration must be positive, got 0", "simulate", "--output", out, "--duration", "0");
        assertUsageError("--start must not be negative, got -1", "simulate", "--output", out, "--start", "-1");
        assertUsageError("Invalid value for option '--streams': 'many' is not an int", "simulate", "--output", out, "--streams", "many");
        assertFalse(Files.exists(dir.resolve("t.jsonl")), "no file written on a usage error");
    }

    @Test
    void kafkaOptionsAreRejectedWithAFile() {
        String out = dir.resolve("t.jsonl").toString();
        assertUsageError("--no-pacing applies only with --bootstrap-servers", "simulate", "--output", out, "--no-pacing");
        assertUsageError("--topic applies only with --bootstrap-servers", "simulate", "--output", out, "--topic", "x");
        assertUsageError("--config applies only with --bootstrap-servers", "simulate", "--output", out, "--config", "c.properties");
    }

    @Test
    void startNeedsAFileOrNoPacing() {
        assertUsageError("--start needs --output or --no-pacing", "simulate", "--bootstrap-servers", "localhost:9092",
                "--start", "0");
    }

    @Test
    void aMissingConfigFileIsAUsageError() {
        assertUsageError("config file not found: " + dir.resolve("nope.properties"), "simulate",
                "--bootstrap-servers", "localhost:9092", "--config", dir.resolve("nope.properties").toString());
    }

    @Test
    void anUnwritableOutputFailsWithOneLine() {
        Run run = metering("simulate", "--output", dir.resolve("no/such/dir/t.jsonl").toString(), "--duration", "1");
        assertEquals(1, run.exit());
        assertEquals("simulate: cannot write " + dir.resolve("no/such/dir/t.jsonl") + ": no such directory"
                + System.lineSeparator(), run.err());
    }

    @Test
    void anUnreachableClusterFailsWithOneReadableLine() throws IOException {
        Path props = dir.resolve("client.properties");
        Files.writeString(props, "max.block.ms=500\n");
        Run run = metering("simulate", "--bootstrap-servers", "127.0.0.1:1", "--config", props.toString(), "--duration", "1");
        assertEquals(1, run.exit(), run.err());
        assertTrue(run.err().startsWith("simulate: cannot reach Kafka at 127.0.0.1:1 within 0.5 s: "
                + "is the broker up and the address right?"), run.err());
        assertEquals(1, run.err().lines().count(), run.err());
    }

    @Test
    void bootstrapServersInTheConfigFileStandInForTheOption() throws IOException {
        Path props = dir.resolve("cluster.properties");
        Files.writeString(props, "bootstrap.servers=127.0.0.1:1\nmax.block.ms=500\n");
        Run run = metering("simulate", "--config", props.toString(), "--duration", "1");
        assertEquals(1, run.exit(), run.err());
        assertTrue(run.err().startsWith("simulate: cannot reach Kafka at 127.0.0.1:1 within 0.5 s"), run.err());
    }

    @Test
    void helpHasAHeaderADescriptionAndEveryOption() {
        Run run = metering("simulate", "--help");
        assertEquals(0, run.exit());
        assertTrue(run.out().startsWith("Simulate LLM streaming traffic: to Kafka in real time, or to a trace file."
                + System.lineSeparator()), run.out());
        assertTrue(run.out().replaceAll("\\s+", " ").contains("About 3% of streams are abandoned"), run.out());
        for (String option : List.of("--bootstrap-servers", "--output", "--streams", "--rate", "--duration", "--seed",
                "--start", "--no-pacing", "--topic", "--config")) {
            assertTrue(run.out().contains(option), option);
        }
        assertTrue(run.out().contains("(default: 20)") && run.out().replaceAll("\\s+", " ").contains("(default: the topology's input, metering.topic.deltas from --config or METERING_TOPIC_DELTAS, else metering.deltas)"), run.out());
        assertTrue(metering("--help").out().contains("simulate"), "metering --help lists simulate");
    }

    private static void assertUsageError(String message, String... args) {
        Run run = metering(args);
        assertEquals(2, run.exit(), String.join(" ", args) + ": " + run.err());
        assertTrue(run.err().startsWith("metering simulate: " + message), "expected '" + message + "', got: " + run.err());
        assertEquals("", run.out());
    }
}
