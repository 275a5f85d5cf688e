package dev.llmmeter.cli;

import dev.llmmeter.devkit.EmbeddedKafka;
import dev.llmmeter.devkit.EmbeddedKafkaCluster;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

@Command(name = "broker",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Run a Kafka broker, or a cluster of them, for development, in this process.",
        description = {
            "Starts a real Apache Kafka broker (KRaft, one node that is both broker and controller) bound to 127.0.0.1, set up for one node: internal topics with one replica, transactions (exactly-once) enabled, new topics with one partition, no automatic topic creation.",
            "",
            "With --nodes N, starts N such nodes, every one a controller voter, on ports PORT, PORT+1, ... with data in DIR/node-1, DIR/node-2, ...; with three or more nodes, internal topics and topics created with the broker's default get three replicas and min.insync.replicas=2 (a write is acknowledged once two copies have it, so one node may be lost).",
            "",
            "When the broker is ready, its bootstrap address (e.g. localhost:9092, or localhost:9092,localhost:9093,localhost:9094 for three nodes) is printed as the only line on stdout; progress and logs go to stderr. It runs until interrupted (Ctrl-C or SIGTERM), then shuts down cleanly and exits 0.",
            "",
            "The data directory is formatted on first use and reused after, with its topics and records; without --data-dir the data lives in a temporary directory deleted on exit."
        },
        footer = {"", "Examples:", "  metering broker --data-dir ./kafka-data &", "  # ...then point the app at localhost:9092",
            "  metering broker --nodes 3 --data-dir ./kafka-cluster"})
final class BrokerCommand implements Callable<Integer> {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--port", defaultValue = "9092", paramLabel = "PORT",
            description = "Client port on 127.0.0.1 (default: ${DEFAULT-VALUE}); 0 picks a free one.")
    private int port;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Directory for the broker's metadata, topics and records: formatted when new or empty, reused when it holds a broker's data. Default: a temporary directory, deleted on exit.")
    private Path dataDir;

    @Option(names = "--nodes", defaultValue = "1", paramLabel = "N",
            description = "Nodes of the cluster, 1 to 9 (default: ${DEFAULT-VALUE}); 3 gives topics three replicas and min.insync.replicas=2.")
    private int nodes;

    @Override
    public Integer call() throws InterruptedException {
        if (nodes < 1 || nodes > 9) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--nodes must be between 1 and 9, got " + nodes);
        }
        if (port < 0 || port + nodes - 1 > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(), nodes == 1 ? "--port must be between 0 and 65535, got " + port
                    : "--port must be between 0 and " + (65536 - nodes) + " for " + nodes + " nodes, got " + port);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (nodes > 1) {
            return runCluster(out, err);
        }
        EmbeddedKafka broker = EmbeddedKafka.builder().port(port).dataDir(dataDir).build();
        err.println("broker: starting Kafka (KRaft, single node) on 127.0.0.1"
                + (dataDir == null ? ", data in a temporary directory" : ", data in " + dataDir.toAbsolutePath().normalize()));
        long started = System.nanoTime();
        try {
            broker.start();
        } catch (EmbeddedKafka.BrokerStartException e) {
            broker.close();
            err.println("broker: " + e.getMessage());
            return 1;
        }
        // A signal runs the shutdown hooks and then ends the JVM with 128 + the signal's number; the broker's
        // clean shutdown is the expected end of this command, so once it is done the hook ends the JVM with 0.
        AtomicBoolean stopping = new AtomicBoolean();
        Thread hook = new Thread(() -> {
            stopping.set(true);
            err.println("broker: stopping");
            broker.close();
            err.println("broker: stopped");
            out.flush();
            err.flush();
            Runtime.getRuntime().halt(0);
        }, "broker-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        err.printf("broker: ready on %s in %d ms (cluster id %s, data dir %s); Ctrl-C stops it%n",
                broker.bootstrapServers(), (System.nanoTime() - started) / 1_000_000, broker.clusterId(), broker.dataDir());
        out.println(broker.bootstrapServers());
        out.flush();
        broker.awaitShutdown();
        if (stopping.get()) {
            hook.join(); // the hook halts the JVM when the broker is closed
        }
        Runtime.getRuntime().removeShutdownHook(hook);
        err.println("broker: the broker stopped on its own; see the log above");
        broker.close();
        return 1;
    }

    private int runCluster(PrintWriter out, PrintWriter err) throws InterruptedException {
        err.println("broker: starting a Kafka cluster of " + nodes + " nodes (KRaft, each broker and controller) on 127.0.0.1"
                + (dataDir == null ? ", data in a temporary directory" : ", data in " + dataDir.toAbsolutePath().normalize()));
        long started = System.nanoTime();
        EmbeddedKafkaCluster cluster;
        try {
            cluster = new EmbeddedKafkaCluster(nodes, port, dataDir).start();
        } catch (EmbeddedKafka.BrokerStartException e) {
            err.println("broker: " + e.getMessage());
            return 1;
        }
        AtomicBoolean stopping = new AtomicBoolean();
        Thread hook = new Thread(() -> {
            stopping.set(true);
            err.println("broker: stopping");
            cluster.close();
            err.println("broker: stopped");
            out.flush();
            err.flush();
            Runtime.getRuntime().halt(0);
        }, "broker-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        EmbeddedKafka first = cluster.nodes().get(0);
        err.printf("broker: %d nodes ready on %s in %d ms (cluster id %s, data dir %s, %d replicas, min.insync.replicas=%d); Ctrl-C stops them%n",
                nodes, cluster.bootstrapServers(), (System.nanoTime() - started) / 1_000_000, cluster.clusterId(), cluster.dataDir(),
                first.replicationFactor(), first.minInsyncReplicas());
        out.println(cluster.bootstrapServers());
        out.flush();
        cluster.awaitShutdown();
        if (stopping.get()) {
            hook.join();
        }
        Runtime.getRuntime().removeShutdownHook(hook);
        err.println("broker: a node stopped on its own; see the log above");
        cluster.close();
        return 1;
    }
}
