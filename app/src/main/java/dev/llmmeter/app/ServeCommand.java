package dev.llmmeter.app;

import dev.llmmeter.serve.MeteringService;
import dev.llmmeter.contract.OutputTopics;
import dev.llmmeter.topology.MeteringConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

@Command(name = "serve",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Serve the live stats over HTTP: SSE for chat UIs, a JSON API, Prometheus metrics and a dashboard.",
        description = {
            "Reads metering.stats, metering.insights and metering.streams (read_committed, no consumer group: every instance reads everything) and serves:",
            "",
            "  GET /                   the live dashboard",
            "  GET /events             Server-Sent Events, one 'metering' event a tick",
            "                          (the seed's payload; id = the tick; resumes",
            "                          after Last-Event-ID; ?stream=ID adds that",
            "                          stream's stream_tps and ttft_ms)",
            "  GET /api/stats          the latest stats record",
            "  GET /api/insights       the latest insight per group",
            "                          (?group=model|tenant|global|model:NAME|...)",
            "  GET /api/streams/ID     a stream's latest record (404 when unknown)",
            "  GET /metrics            Prometheus text format",
            "  GET /healthz            200 while the feed reads or may recover; 503",
            "                          once it has failed for over a minute",
            "  GET /readyz             200 once reading metering.stats and caught up;",
            "                          else 503 with the reason",
            "",
            "A fresh server reads back the last 600 ticks, the insights of the last minute and the streams of the last hour. It waits for an unreachable cluster (or a missing metering.stats) instead of exiting: /readyz answers 503 with the reason, and the log says it once. The topics are looked at every 5 s: one deleted, recreated or given more partitions is followed, each change logged once.",
            "",
            "Runs until SIGTERM or Ctrl-C. Settings (security included) come from --config and METERING_* environment variables, as for 'topology'."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped cleanly (SIGTERM or Ctrl-C)", "1:failed (the HTTP port in use)", "2:bad usage or settings (--http-host not an address of this machine)"})
public final class ServeCommand implements Callable<Integer> {
    static final int DEFAULT_HTTP_PORT = 8080;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    private ClusterOptions cluster;

    @Option(names = "--http-port", defaultValue = "" + DEFAULT_HTTP_PORT, paramLabel = "PORT",
            description = "HTTP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    private int httpPort;

    @Option(names = "--http-host", paramLabel = "ADDRESS", description = "Interface to listen on (default: all).")
    private String httpHost;

    @Override
    public Integer call() throws InterruptedException {
        if (httpPort < 0 || httpPort > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--http-port must be between 0 and 65535, got " + httpPort);
        }
        Settings settings = cluster.requireCluster(spec.commandLine(), new Properties());
        ClusterCheck.missingCredentials(settings.all()).ifPresent(problem -> {
            throw new CommandLine.ParameterException(spec.commandLine(), problem);
        });
        ServiceMain.requireValidKafka(spec.commandLine(), settings);
        if (httpHost != null) {
            notLocal(httpHost).ifPresent(problem -> {
                throw new CommandLine.ParameterException(spec.commandLine(), problem);
            });
        }
        MeteringService service;
        try {
            service = start(settings, httpHost, httpPort);
        } catch (KafkaException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "invalid Kafka consumer settings: " + MeteringApp.rootMessage(e));
        } catch (RuntimeException e) {
            System.err.println("metering serve: cannot listen on " + (httpHost == null ? "port " : httpHost + " port ") + httpPort
                    + ": " + MeteringApp.rootMessage(e));
            return 1;
        }
        CountDownLatch stop = new CountDownLatch(1);
        AtomicReference<String> signal = StopSignals.install(stop::countDown);
        Thread hook = new Thread(service::close, "metering-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.err.println("metering serve: dashboard: http://localhost:" + service.port() + "/ (reading " + settings.bootstrapServers() + ")");
        stop.await();
        service.close();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // shutting down already
        }
        System.err.println("metering serve: stopped" + (signal.get() == null ? "" : " on " + signal.get()));
        return 0;
    }

    /** Why the server could not listen on {@code host}, when it names no address of this machine; empty when it does. */
    static Optional<String> notLocal(String host) {
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            return Optional.of("--http-host " + host + ": unknown host");
        }
        try {
            if (address.isAnyLocalAddress() || address.isLoopbackAddress() || NetworkInterface.getByInetAddress(address) != null) {
                return Optional.empty();
            }
        } catch (SocketException e) {
            return Optional.empty(); // cannot tell: let the bind say
        }
        return Optional.of("--http-host " + host + " is not an address of this machine"
                + (host.equals(address.getHostAddress()) ? "" : " (" + address.getHostAddress() + ")"));
    }

    /**
     * The HTTP service over the topology's outputs, reading them with the consumer settings among {@code settings}
     * and under their configured names; {@code run} starts it this way too.
     */
    public static MeteringService start(Settings settings, String host, int port) {
        MeteringConfig m = settings.metering();
        return MeteringService.start(settings.client(ConsumerConfig.configNames()),
                OutputTopics.named(m.statsTopic(), m.insightsTopic(), m.streamsTopic()), m.usageTopic(), host, port);
    }
}
