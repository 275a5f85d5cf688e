package dev.llmmeter.cli;

import dev.llmmeter.app.TailCommand;
import dev.llmmeter.app.ClusterOptions;
import dev.llmmeter.app.ServeCommand;
import dev.llmmeter.serve.MeteringService;
import dev.llmmeter.serve.metrics.OtlpPush;
import org.apache.kafka.common.KafkaException;
import dev.llmmeter.app.MeteringApp;
import dev.llmmeter.app.Settings;
import dev.llmmeter.app.StartupException;
import dev.llmmeter.app.StatsTail;
import dev.llmmeter.devkit.EmbeddedKafka;
import dev.llmmeter.devkit.EmbeddedKafkaCluster;
import dev.llmmeter.sim.KafkaSink;
import dev.llmmeter.sim.Pacer;
import dev.llmmeter.sim.Progress;
import dev.llmmeter.sim.SimulationConfig;
import dev.llmmeter.sim.Simulator;
import dev.llmmeter.sim.SinkException;
import dev.llmmeter.sim.TrafficGenerator;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

@Command(name = "run",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "The whole stack in one command: broker, topology, simulated streams and the live stats view.",
        description = {
            "Without --bootstrap-servers, starts a real single-node Kafka broker (--brokers N: a cluster of N) in a temporary directory; with it, uses that cluster (application id " + RunCommand.APPLICATION_ID + "; --config carries its security and metering.* settings). Then the metering topology, the producer simulator (N concurrent LLM streams at about R deltas/s each, from a fleet of models and tenants), the HTTP server of 'serve' (dashboard, SSE, JSON API, Prometheus metrics with the topology's Kafka Streams metrics) and the live stats view, until Ctrl-C or the end of --duration. Then it stops everything and deletes what it created on disk.",
            "",
            "The dashboard's address goes to stderr: 'dashboard: http://localhost:PORT/'.",
            "",
            "With --json, stdout carries the stats records as JSON lines and nothing else; progress goes to stderr."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:--duration ran out and everything stopped",
            "2:bad usage or settings",
            "130:stopped by Ctrl-C (SIGINT): everything closed and its files deleted, no stack trace",
            "143:stopped by SIGTERM, likewise"},
        footer = {"", "Examples:", "  metering run", "  metering run --streams 100 --rate 40 --duration 30 --json > stats.jsonl"})
final class RunCommand implements Callable<Integer> {
    /** After the simulation ends, time for the last ticks to be emitted, committed and read. */
    static final Duration DRAIN = Duration.ofMillis(1500);
    static final String APPLICATION_ID = "llm-metering-run";

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--streams", defaultValue = "20", paramLabel = "N", description = "Concurrent streams (default: ${DEFAULT-VALUE}).")
    private int streams;

    @Option(names = "--rate", defaultValue = "30", paramLabel = "R", description = "With --no-fleet: Mean deltas per second per stream (default: ${DEFAULT-VALUE}).")
    private double rate;

    @Option(names = "--fleet", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Simulate a fleet: four models with their own pace, TTFT and tokens per delta, over five tenants, so the dashboard and metering.insights break figures down (default). --no-fleet: plain streams, each at about --rate deltas/s.")
    private boolean fleet;

    @Option(names = "--duration", defaultValue = "0", paramLabel = "S", description = "Stop after S seconds (default: run until Ctrl-C).")
    private long duration;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "K", description = "Simulator random seed (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--json", description = "Print stats as JSON lines on stdout instead of the live view.")
    private boolean json;

    @CommandLine.Mixin
    private ClusterOptions cluster;

    @Option(names = "--brokers", defaultValue = "1", paramLabel = "N",
            description = "Without --bootstrap-servers: the nodes of the cluster started, 1 to 9 (default: ${DEFAULT-VALUE}); with 3, the topics get three replicas and min.insync.replicas=2, as in production.")
    private int brokers;

    @Option(names = "--http-port", defaultValue = "8080", paramLabel = "PORT",
            description = "Port of the dashboard, SSE, JSON API and /metrics (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    private int httpPort;

    @Override
    public Integer call() throws IOException, InterruptedException {
        validate();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        Thread main = Thread.currentThread();
        Thread hook = new Thread(() -> {
            stop.set(true);
            main.interrupt();
            try {
                done.await(60, TimeUnit.SECONDS); // let the main thread stop everything and clean up
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "metering-run-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        // Not under /tmp, which the OS may clean under a running broker; deleted at the end all the same.
        Path home = Files.createDirectories(Path.of(System.getProperty("user.home"), ".metering"));
        Path workDir = Files.createTempDirectory(home, "run-");
        try (Stack stack = new Stack(workDir)) {
            return stack.run(stop);
        } catch (StartupException | EmbeddedKafka.BrokerStartException e) {
            System.err.println("metering run: " + e.getMessage());
            return 1;
        } finally {
            Utils.delete(workDir.toFile());
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down (a signal): the hook is waiting for us, and now returns
            }
        }
    }

    private void validate() {
        CommandLine cmd = spec.commandLine();
        if (streams <= 0) {
            throw new CommandLine.ParameterException(cmd, "--streams must be positive, got " + streams);
        }
        if (!(rate >= SimulationConfig.MIN_RATE) || Double.isInfinite(rate)) {
            throw new CommandLine.ParameterException(cmd, "--rate must be a number of at least " + SimulationConfig.MIN_RATE + ", got " + rate);
        }
        if (duration < 0) {
            throw new CommandLine.ParameterException(cmd, "--duration must not be negative, got " + duration);
        }
        if (brokers < 1 || brokers > 9) {
            throw new CommandLine.ParameterException(cmd, "--brokers must be between 1 and 9, got " + brokers);
        }
        if (brokers > 1 && cluster.bootstrapServers() != null) {
            throw new CommandLine.ParameterException(cmd, "--brokers starts a cluster: leave out --bootstrap-servers, or --brokers");
        }
        if (httpPort < 0 || httpPort > 65535) {
            throw new CommandLine.ParameterException(cmd, "--http-port must be between 0 and 65535, got " + httpPort);
        }
    }

    /** Everything the run starts, closed in reverse order. */
    private final class Stack implements AutoCloseable {
        private final Path workDir;
        private EmbeddedKafka broker;
        private EmbeddedKafkaCluster brokerCluster;
        private MeteringApp app;
        private MeteringService http;
        private StatsTail tail;
        private Thread tailThread;

        Stack(Path workDir) {
            this.workDir = workDir;
        }

        int run(AtomicBoolean stop) throws InterruptedException {
            String bootstrap = cluster.bootstrapServers();
            if (bootstrap == null && brokers > 1) {
                System.err.println("metering run: starting a Kafka cluster of " + brokers + " brokers...");
                brokerCluster = new EmbeddedKafkaCluster(brokers, 0, workDir.resolve("kafka")).start();
                bootstrap = brokerCluster.bootstrapServers();
                System.err.println("metering run: brokers at " + bootstrap);
            } else if (bootstrap == null) {
                System.err.println("metering run: starting a Kafka broker...");
                broker = EmbeddedKafka.builder().dataDir(workDir.resolve("kafka")).build().start();
                bootstrap = broker.bootstrapServers();
                System.err.println("metering run: broker at " + bootstrap);
            }
            Properties flags = new Properties();
            flags.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            flags.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
            flags.put(StreamsConfig.STATE_DIR_CONFIG, workDir.resolve("state").toString());
            Settings layered = cluster.settings(spec.commandLine(), flags);
            Properties settings = layered.all();
            app = new MeteringApp(layered);
            app.start();
            awaitRunning(stop);
            try {
                http = ServeCommand.start(layered, null, httpPort);
            } catch (OtlpPush.BadSetting e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            } catch (KafkaException e) {
                throw new StartupException("cannot start the HTTP server's consumer: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw new StartupException("cannot listen on port " + httpPort + " (pass --http-port 0 for a free one): "
                        + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
            }
            http.server().metrics().registerKafkaMetrics(app.streams()::metrics);
            System.err.println("dashboard: http://localhost:" + http.port() + "/");
            System.err.println("metering run: topology running; simulating " + streams + " streams"
                    + (fleet ? " of a fleet of models" : " at ~" + rate + " deltas/s")
                    + (duration > 0 ? " for " + duration + " s" : " until Ctrl-C"));

            tail = new StatsTail(settings, app.config().statsTopic(), json ? null : app.config().insightsTopic());
            tail.seekToLast(0, MeteringApp.STARTUP_TIMEOUT);
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            tailThread = new Thread(() -> TailCommand.printTo(tail, out, json, 0), "metering-run-tail");
            tailThread.start();

            Properties producer = Settings.only(settings, ProducerConfig.configNames());
            AtomicReference<RuntimeException> simFailure = new AtomicReference<>();
            String target = bootstrap;
            Thread sim = new Thread(() -> simulate(target, producer, stop, simFailure), "metering-run-simulator");
            sim.start();
            try {
                sim.join();
                if (!stop.get() && simFailure.get() == null) {
                    Thread.sleep(DRAIN.toMillis());
                }
            } catch (InterruptedException e) {
                stop.set(true); // Ctrl-C
                sim.join(10_000);
            }
            if (simFailure.get() != null) {
                System.err.println("metering run: " + simFailure.get().getMessage());
                return 1;
            }
            if (app.failure() != null) {
                if (app.failureLine() != null) { // a missing permission: the app logged nothing about it
                    System.err.println("metering run: " + app.failureLine());
                }
                return 1;
            }
            return 0;
        }

        private void simulate(String bootstrap, Properties producer, AtomicBoolean stop, AtomicReference<RuntimeException> failure) {
            long seconds = duration > 0 ? duration : Duration.ofDays(365).toSeconds();
            try (KafkaSink sink = new KafkaSink(bootstrap, app.config().deltasTopic(), producer)) {
                sink.awaitTopic();
                Pacer pacer = Pacer.realTime();
                SimulationConfig plain = SimulationConfig.of(streams, rate, seconds, seed, pacer.nowMs());
                TrafficGenerator generator = new TrafficGenerator(fleet ? plain.withRealisticFleet() : plain);
                new Simulator(pacer, Progress.silent(), stop::get).run(generator, sink);
            } catch (SinkException | IOException e) {
                failure.set(new IllegalStateException("simulator: " + e.getMessage(), e));
            }
        }

        private void awaitRunning(AtomicBoolean stop) throws InterruptedException {
            long deadline = System.nanoTime() + MeteringApp.STARTUP_TIMEOUT.toNanos() * 2;
            while (app.streams().state() != KafkaStreams.State.RUNNING) {
                if (app.streams().state() == KafkaStreams.State.ERROR || app.streams().state() == KafkaStreams.State.NOT_RUNNING) {
                    throw new StartupException("the topology stopped while starting (see the log above)", app.failure());
                }
                if (stop.get() || System.nanoTime() > deadline) {
                    throw new StartupException(stop.get() ? "stopped while starting" : "the topology did not reach RUNNING within "
                            + MeteringApp.STARTUP_TIMEOUT.toSeconds() * 2 + " s", null);
                }
                Thread.sleep(100);
            }
        }

        @Override
        public void close() throws InterruptedException {
            if (tail != null) {
                tail.wakeup();
                tailThread.join(5_000);
                tail.close();
            }
            if (http != null) {
                http.close();
            }
            if (app != null) {
                app.close();
            }
            if (broker != null) {
                broker.close();
            }
            if (brokerCluster != null) {
                brokerCluster.close();
            }
        }
    }
}
