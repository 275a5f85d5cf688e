package dev.llmmeter.cli;

import dev.llmmeter.app.Secrets;
import dev.llmmeter.app.ClusterOptions;
import dev.llmmeter.app.ServiceMain;
import dev.llmmeter.app.ClusterCheck;
import dev.llmmeter.app.Settings;
import dev.llmmeter.app.StartupException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.ProducerConfig;

import dev.llmmeter.contract.Topics;
import dev.llmmeter.sim.JsonlSink;
import dev.llmmeter.sim.KafkaSink;
import dev.llmmeter.sim.ModelProfile;
import dev.llmmeter.sim.Pacer;
import dev.llmmeter.sim.Progress;
import dev.llmmeter.sim.SimulationConfig;
import dev.llmmeter.sim.Simulator;
import dev.llmmeter.sim.SinkException;
import dev.llmmeter.sim.TrafficGenerator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

@Command(name = "simulate",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Simulate LLM streaming traffic: to Kafka in real time, or to a trace file.",
        description = {
            "Simulates N concurrent LLM streams for S seconds. Each stream sends begin, then after 0.2-2 s its deltas (about 30%% of streams first send reasoning deltas, then all send 50-800 output deltas) at a rate drawn within R +-50%%, with random gaps, then end with its token counts. As a stream finishes another begins, so N are live until the duration ends; then the live ones end at once. About 3%% of streams are abandoned without an end and 2%% never get a delta, as real clients do. Stream ids are sim-<seed>-<n>; the same options, seed and start time give the same events.",
            "",
            "With --fleet, streams are served by a realistic fleet instead: each begin names a model and a tenant, and each model has its own pace, time to first delta and tokens per delta (a delta carries several tokens, as servers batch them): llama-3.1-8b 90 deltas/s, first delta after 80-300 ms, 1-2 tokens a delta; mixtral-8x7b 60/s, 150-600 ms, 1-4; llama-3.1-70b 35/s, 300-1,200 ms, 1-3; gpt-oss-120b 25/s, 500-2,500 ms, 1-6. Tenants: acme, globex, initech, umbrella, hooli. --models and --tenants take the first M models and T tenants of those lists. Each stream draws its model and tenant uniformly.",
            "",
            "With --bootstrap-servers, each event goes to the topic keyed by its stream id (idempotent producer, acks=all) when the wall clock reaches its ts, or as fast as possible with --no-pacing. With --output, the trace is written as fast as possible, one wire-JSON event per line: valid input for 'metering replay'. Exactly one of the two is required (METERING_BOOTSTRAP_SERVERS, or bootstrap.servers in the --config file, stands in for --bootstrap-servers; METERING_* variables and --config carry producer settings, security included; acks, enable.idempotence, serializers and bootstrap.servers are the simulator's). Progress goes to stderr; Ctrl-C stops, flushes and exits."
        },
        footer = {"", "Examples:",
            "  metering simulate --bootstrap-servers localhost:9092 --streams 50",
            "  metering simulate --output trace.jsonl --seed 7 --start 1790000000000",
            "  metering simulate --bootstrap-servers localhost:9092 --streams 200 --fleet",
            "  metering simulate --output - --duration 30 | metering replay --input -"})
final class SimulateCommand implements Callable<Integer> {
    /** How long a signal waits for the flush and close (delivery.timeout.ms is 30 s). */
    private static final long SHUTDOWN_WAIT_SECONDS = 45;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    private ClusterOptions cluster;

    /** Where the events go: --bootstrap-servers, else the settings' bootstrap.servers; null for none. */
    private String bootstrapServers;

    @Option(names = "--output", paramLabel = "TRACE.jsonl",
            description = "Write the events to this file instead (created or replaced); '-' writes stdout.")
    private String output;

    @Option(names = "--streams", defaultValue = "20", paramLabel = "N",
            description = "Concurrent streams (default: ${DEFAULT-VALUE}).")
    private int streams;

    @Option(names = "--rate", defaultValue = "30", paramLabel = "R",
            description = "Mean deltas per second of one stream (default: ${DEFAULT-VALUE}).")
    private double rate;

    @Option(names = "--duration", defaultValue = "60", paramLabel = "SECONDS",
            description = "Length of the simulation (default: ${DEFAULT-VALUE}): streams begin during it; at its end the live ones end.")
    private long duration;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "K",
            description = "Random seed (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--start", paramLabel = "EPOCH_MS",
            description = "Time zero of the simulation (default: now). Fix it for a reproducible trace; not with real-time pacing.")
    private Long start;

    @Option(names = "--no-pacing",
            description = "Send as fast as possible instead of in real time (to load a benchmark topic). Record timestamps are the events' ts, and brokers reject records more than log.message.timestamp.after.max.ms (default 1 h) ahead: keep --duration under 3600 or set --start in the past.")
    private boolean noPacing;

    @Option(names = "--topic", paramLabel = "TOPIC",
            description = "Topic to send to (default: the topology's input, metering.topic.deltas from --config or METERING_TOPIC_DELTAS, else "
                    + Topics.DELTAS_NAME + ").")
    private String topic;

    @Option(names = "--fleet",
            description = "Simulate a realistic fleet: several models with distinct speeds, times to first delta and tokens per delta, and tenants (see above); --rate does not apply.")
    private boolean fleet;

    @Option(names = "--models", paramLabel = "M",
            description = "With --fleet: serve the streams with the first M of the fleet's models (1-4; default: all 4).")
    private Integer models;

    @Option(names = "--tenants", paramLabel = "T",
            description = "With --fleet: spread the streams over the first T of the fleet's tenants (1-5; default: all 5).")
    private Integer tenants;


    @Override
    public Integer call() {
        CommandLine cmd = spec.commandLine();
        SimulationConfig base = validate(cmd);
        PrintWriter err = cmd.getErr();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                finished.await(SHUTDOWN_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "simulate-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return output != null ? toFile(base, err, stop) : toKafka(cmd, base, err, stop);
        } finally {
            err.flush();
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // shutting down (signal): the hook is running and now lets the JVM exit
            }
        }
    }

    private SimulationConfig validate(CommandLine cmd) {
        bootstrapServers = cluster.bootstrapServers();
        if (bootstrapServers == null && output == null) { // as for the other commands: the environment over the file
            String layered = cluster.settings(cmd, new java.util.Properties()).bootstrapServers();
            bootstrapServers = layered.isEmpty() ? null : layered;
        }
        if (bootstrapServers == null && output == null) {
            throw new CommandLine.ParameterException(cmd,
                    "specify where the events go: --bootstrap-servers (a Kafka cluster) or --output (a trace file)");
        }
        if (bootstrapServers != null && output != null) {
            throw new CommandLine.ParameterException(cmd,
                    "--bootstrap-servers and --output are mutually exclusive: send to Kafka or write a trace file");
        }
        if (output != null) {
            for (String kafkaOnly : new String[] {"--no-pacing", "--topic", "--config"}) {
                if (cmd.getParseResult().hasMatchedOption(kafkaOnly)) {
                    throw new CommandLine.ParameterException(cmd, kafkaOnly
                            + " applies only with --bootstrap-servers (a trace file is written as fast as possible)");
                }
            }
        } else {
            if (bootstrapServers.isBlank()) {
                throw new CommandLine.ParameterException(cmd, "--bootstrap-servers must not be empty");
            }
            if (topic == null) { // the topic the topology reads, as the same settings name it
                topic = cluster.settings(cmd, new java.util.Properties()).metering().deltasTopic();
            }
            if (topic.isBlank()) {
                throw new CommandLine.ParameterException(cmd, "--topic must not be empty");
            }
            if (start != null && !noPacing) {
                throw new CommandLine.ParameterException(cmd,
                        "--start needs --output or --no-pacing: real-time pacing starts the simulation now");
            }
        }
        if (streams <= 0) {
            throw new CommandLine.ParameterException(cmd, "--streams must be positive, got " + streams);
        }
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new CommandLine.ParameterException(cmd, "--rate must be a positive number, got " + rate);
        }
        if (rate < SimulationConfig.MIN_RATE) {
            throw new CommandLine.ParameterException(cmd,
                    "--rate must be at least " + SimulationConfig.MIN_RATE + " deltas per second, got " + rate);
        }
        if (duration <= 0) {
            throw new CommandLine.ParameterException(cmd, "--duration must be positive, got " + duration);
        }
        if (start != null && start < 0) {
            throw new CommandLine.ParameterException(cmd, "--start must not be negative, got " + start);
        }
        for (String fleetOnly : new String[] {"--models", "--tenants"}) {
            if (!fleet && cmd.getParseResult().hasMatchedOption(fleetOnly)) {
                throw new CommandLine.ParameterException(cmd, fleetOnly + " applies only with --fleet");
            }
        }
        if (fleet && cmd.getParseResult().hasMatchedOption("--rate")) {
            throw new CommandLine.ParameterException(cmd, "--rate does not apply with --fleet: each model has its own pace");
        }
        int modelCount = count(cmd, "--models", models, ModelProfile.FLEET.size());
        int tenantCount = count(cmd, "--tenants", tenants, ModelProfile.TENANTS.size());
        try {
            SimulationConfig c = SimulationConfig.of(streams, rate, duration, seed, start == null ? 0 : start);
            return fleet ? c.withFleet(ModelProfile.FLEET.subList(0, modelCount), ModelProfile.TENANTS.subList(0, tenantCount)) : c;
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cmd, e.getMessage());
        }
    }

    /** A --models or --tenants count: all of the fleet's when not given, else 1 to all. */
    private static int count(CommandLine cmd, String option, Integer value, int all) {
        if (value == null) {
            return all;
        }
        if (value < 1 || value > all) {
            throw new CommandLine.ParameterException(cmd, option + " must be between 1 and " + all + ", got " + value);
        }
        return value;
    }

    private int toFile(SimulationConfig base, PrintWriter err, AtomicBoolean stop) {
        SimulationConfig c = start != null ? base : base.withStartEpochMs(System.currentTimeMillis());
        TrafficGenerator generator = new TrafficGenerator(c);
        long started = System.nanoTime();
        try (JsonlSink sink = output.equals("-") ? new JsonlSink(System.out, false) : JsonlSink.open(Path.of(output))) {
            Simulator.Result r = new Simulator(Pacer.none(), progress(err), stop::get).run(generator, sink);
            summary(err, generator, r, "to " + (output.equals("-") ? "stdout" : output), started);
            return r.stopped() ? 130 : 0;
        } catch (IOException e) {
            err.println("simulate: cannot write " + output + ": " + describe(e));
            return 1;
        }
    }

    private int toKafka(CommandLine cmd, SimulationConfig base, PrintWriter err, AtomicBoolean stop) {
        // File, then METERING_* environment, as for the other commands; only producer settings pass.
        java.util.Properties flags = new java.util.Properties();
        flags.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        Settings settings = cluster.settings(cmd, flags);
        java.util.Properties extra = settings.client(ProducerConfig.configNames());
        ClusterCheck.missingCredentials(extra).ifPresent(problem -> {
            throw new CommandLine.ParameterException(cmd, problem);
        });
        ServiceMain.requireValidKafka(cmd, settings); // as topology, tail and serve: a bad setting is a usage error
        try {
            // Fails fast, before the producer waits out max.block.ms, on bad or missing credentials.
            java.util.Properties check = Settings.layered(extra);
            check.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            ClusterCheck.await(check, Duration.ofMillis(maxBlockMs(extra)));
        } catch (StartupException e) {
            err.println("simulate: " + e.getMessage());
            return 1;
        }
        try (KafkaSink sink = new KafkaSink(bootstrapServers, topic, extra)) {
            int partitions = sink.awaitTopic();
            Pacer pacer = noPacing ? Pacer.none() : Pacer.realTime();
            SimulationConfig c = start != null ? base : base.withStartEpochMs(pacer.nowMs());
            err.printf(Locale.ROOT, "simulate: sending to %s (%d partitions) at %s, %s%n", topic, partitions,
                    bootstrapServers, noPacing ? "as fast as possible" : "in real time");
            err.flush();
            TrafficGenerator generator = new TrafficGenerator(c);
            long started = System.nanoTime();
            Simulator.Result r = new Simulator(pacer, progress(err), stop::get).run(generator, sink);
            summary(err, generator, r, "to " + topic + ", all acknowledged,", started);
            return r.stopped() ? 130 : 0;
        } catch (SinkException e) { // it quotes Kafka's messages: secret values masked
            err.println("simulate: " + Secrets.redact(e.getMessage()));
            return 1;
        } catch (IOException e) { // the Kafka sink throws SinkException only
            err.println("simulate: " + describe(e));
            return 1;
        }
    }

    /** The producer's wait for metadata: the user's max.block.ms, else the sink's default. */
    private static long maxBlockMs(java.util.Properties producer) {
        try {
            return Long.parseLong(producer.getProperty(ProducerConfig.MAX_BLOCK_MS_CONFIG, "").trim());
        } catch (NumberFormatException e) {
            return KafkaSink.DEFAULT_MAX_BLOCK_MS; // unset (or invalid: the producer itself will say so)
        }
    }

    private static Progress progress(PrintWriter err) {
        return new Progress(err, System::nanoTime, "simulate");
    }

    private static void summary(PrintWriter err, TrafficGenerator g, Simulator.Result r, String where, long started) {
        double seconds = (System.nanoTime() - started) / 1e9;
        err.printf(Locale.ROOT, "simulate: %s%,d events %s in %.1f s (%,.0f events/s); streams: %,d begun, %,d ended, "
                        + "%,d abandoned, %,d never fed%s%n",
                r.stopped() ? "stopped: " : "", r.events(), where, seconds, r.events() / Math.max(seconds, 1e-9),
                g.streamsBegun(), g.streamsEnded(), g.streamsAbandoned(), g.streamsNeverFed(),
                r.stopped() ? String.format(Locale.ROOT, ", %,d cut short", g.liveStreams()) : "");
        err.flush();
    }

    private static String describe(IOException e) {
        return e instanceof java.nio.file.NoSuchFileException ? "no such directory"
                : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
