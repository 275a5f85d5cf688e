package dev.llmmeter.app;

import dev.llmmeter.serve.MeteringService;
import dev.llmmeter.serve.http.Access;
import dev.llmmeter.serve.http.MeteringServer;
import dev.llmmeter.serve.http.TlsIdentity;
import dev.llmmeter.serve.http.Tokens;
import dev.llmmeter.serve.metrics.OtlpPush;
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
import java.nio.file.Path;
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
            "TLS: with --tls-cert and --tls-key (PEM files: the certificate chain, the server's own first; its PKCS#8 private key, RSA or EC) serve answers HTTPS only, HTTP/2 and HTTP/1.1 on the one port (chosen by ALPN); without them, plain HTTP.",
            "",
            "Readers: with a tokens file (--tokens-file or metering.http.tokens.file) every path but /, the dashboard's files, /healthz and /readyz needs 'Authorization: Bearer TOKEN' (/events also takes ?access_token=TOKEN); an admin token reads everything, a tenant:NAME token the global figures and that tenant's own. Without one, serve is open to anyone who reaches it, so it listens on loopback only unless --allow-anonymous.",
            "",
            "OTLP: with OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) set, serve also pushes the metrics of /metrics over OTLP/HTTP (protobuf), every OTEL_METRIC_EXPORT_INTERVAL ms (default 60000), as service.name OTEL_SERVICE_NAME (default llm-metering); OTEL_SDK_DISABLED=true turns it off.",
            "",
            "Runs until SIGTERM or Ctrl-C. Settings (security included) come from --config and METERING_* environment variables, as for 'topology'."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped cleanly (SIGTERM or Ctrl-C)", "1:failed (the HTTP port in use)", "2:bad usage or settings (--http-host not an address of this machine; not loopback without tokens or --allow-anonymous; a bad tokens file; a TLS certificate without its key, or a bad one; a bad OTEL_* variable)"})
public final class ServeCommand implements Callable<Integer> {
    static final int DEFAULT_HTTP_PORT = 8080;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    private ClusterOptions cluster;

    @Option(names = "--http-port", defaultValue = "" + DEFAULT_HTTP_PORT, paramLabel = "PORT",
            description = "HTTP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    private int httpPort;

    @Option(names = "--http-host", paramLabel = "ADDRESS",
            description = "Interface to listen on (default: " + MeteringServer.LOOPBACK + ", this machine only; 0.0.0.0: all).")
    private String httpHost;

    @Option(names = "--tokens-file", paramLabel = "FILE",
            description = "Bearer tokens, one 'TOKEN SCOPE' a line, scope admin or tenant:NAME (default: the setting "
                    + Settings.HTTP_TOKENS_FILE + "; none: no token needed).")
    private String tokensFile;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "Serve HTTPS with this PEM certificate chain, the server's own certificate first; needs --tls-key "
                    + "(default: the setting " + Settings.HTTP_TLS_CERT + "; none: plain HTTP).")
    private String tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE",
            description = "The certificate's private key: PEM, unencrypted PKCS#8 (BEGIN PRIVATE KEY), RSA or EC "
                    + "(default: the setting " + Settings.HTTP_TLS_KEY + ").")
    private String tlsKey;

    @Option(names = "--allow-anonymous",
            description = "Serve without tokens on an address other than loopback: anyone who reaches it reads every tenant's figures.")
    private boolean allowAnonymous;

    @Override
    public Integer call() throws InterruptedException {
        if (httpPort < 0 || httpPort > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--http-port must be between 0 and 65535, got " + httpPort);
        }
        Properties flags = new Properties();
        if (tokensFile != null) {
            flags.setProperty(Settings.HTTP_TOKENS_FILE, tokensFile);
        }
        if (tlsCert != null) {
            flags.setProperty(Settings.HTTP_TLS_CERT, tlsCert);
        }
        if (tlsKey != null) {
            flags.setProperty(Settings.HTTP_TLS_KEY, tlsKey);
        }
        Settings settings = cluster.requireCluster(spec.commandLine(), flags);
        ClusterCheck.missingCredentials(settings.all()).ifPresent(problem -> {
            throw new CommandLine.ParameterException(spec.commandLine(), problem);
        });
        ServiceMain.requireValidKafka(spec.commandLine(), settings);
        String host = host(httpHost);
        notLocal(host).ifPresent(problem -> {
            throw new CommandLine.ParameterException(spec.commandLine(), problem);
        });
        Access access;
        TlsIdentity tls;
        try {
            access = access(settings, host, allowAnonymous);
            tls = tls(settings);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        MeteringService service;
        try {
            service = start(settings, host, httpPort, access, tls);
        } catch (OtlpPush.BadSetting e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        } catch (KafkaException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "invalid Kafka consumer settings: " + MeteringApp.rootMessage(e));
        } catch (RuntimeException e) {
            System.err.println("metering serve: cannot listen on " + host + " port " + httpPort
                    + ": " + MeteringApp.rootMessage(e));
            return 1;
        }
        CountDownLatch stop = new CountDownLatch(1);
        AtomicReference<String> signal = StopSignals.install(stop::countDown);
        Thread hook = new Thread(service::close, "metering-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.err.println("metering serve: dashboard: " + (tls == null ? "http" : "https") + "://localhost:" + service.port() + "/ (reading " + settings.bootstrapServers() + ")");
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
     * Who may read the server: the tokens of the settings' tokens file, and its CORS origins.
     *
     * @throws IllegalArgumentException in one line: a bad tokens file; no tokens on an address other than loopback
     *                                  without {@code allowAnonymous}; {@code allowAnonymous} beside tokens; a CORS
     *                                  origin {@code *} anywhere but anonymous on loopback
     */
    static Access access(Settings settings, String host, boolean allowAnonymous) {
        String file = settings.httpTokensFile();
        Tokens tokens = file == null ? null : Tokens.load(Path.of(file));
        boolean loopback = isLoopback(host);
        if (tokens != null && allowAnonymous) {
            throw new IllegalArgumentException("--allow-anonymous contradicts the tokens file " + file + ": give one or the other");
        }
        if (tokens == null && !loopback && !allowAnonymous) {
            throw new IllegalArgumentException("--http-host " + host + " is not a loopback address and no tokens file is set: "
                    + "give --tokens-file (or " + Settings.HTTP_TOKENS_FILE + "), or --allow-anonymous to let anyone who reaches it read every tenant's figures");
        }
        if (settings.corsOrigins().contains(Access.ANY_ORIGIN) && (tokens != null || !loopback)) {
            throw new IllegalArgumentException(Settings.HTTP_CORS_ORIGINS + " * (any web page may read the figures) is allowed only "
                    + "without tokens on a loopback address: list the origins instead");
        }
        return new Access(tokens, settings.corsOrigins());
    }

    /**
     * The server's TLS identity from the settings' certificate and key files; null for plain HTTP (neither set).
     *
     * @throws IllegalArgumentException in one line: one file set without the other; a file missing, unreadable or not
     *                                  what it should be; a key that is not the certificate's
     */
    static TlsIdentity tls(Settings settings) {
        String cert = settings.httpTlsCert();
        String key = settings.httpTlsKey();
        if (cert == null && key == null) {
            return null;
        }
        if (cert == null || key == null) {
            String set = cert == null ? Settings.HTTP_TLS_KEY + " (--tls-key)" : Settings.HTTP_TLS_CERT + " (--tls-cert)";
            String unset = cert == null ? Settings.HTTP_TLS_CERT + " (--tls-cert)" : Settings.HTTP_TLS_KEY + " (--tls-key)";
            throw new IllegalArgumentException(set + " is set but " + unset + " is not: give both for HTTPS, or neither for plain HTTP");
        }
        return TlsIdentity.load(Path.of(cert), Path.of(key));
    }

    /** The address to listen on: {@code httpHost}, or loopback when none is given. */
    static String host(String httpHost) {
        return httpHost == null ? MeteringServer.LOOPBACK : httpHost;
    }

    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * The HTTP service over the topology's outputs, reading them with the consumer settings among {@code settings}
     * and under their configured names, on loopback ({@code host} null) or {@code host}, anonymous with the settings'
     * CORS origins: how {@code run} starts it.
     */
    public static MeteringService start(Settings settings, String host, int port) {
        String bound = host(host);
        return start(settings, bound, port, anonymous(settings, bound));
    }

    /** {@code run}'s readers: anyone on {@code host} (loopback), a tokens file ignored, the settings' CORS origins. */
    static Access anonymous(Settings settings, String host) {
        Properties p = settings.all();
        p.remove(Settings.HTTP_TOKENS_FILE);
        return access(Settings.of(p), host, false);
    }

    static MeteringService start(Settings settings, String host, int port, Access access) {
        return start(settings, host, port, access, null);
    }

    static MeteringService start(Settings settings, String host, int port, Access access, TlsIdentity tls) {
        MeteringConfig m = settings.metering();
        return MeteringService.start(settings.client(ConsumerConfig.configNames()),
                OutputTopics.named(m.statsTopic(), m.insightsTopic(), m.streamsTopic()), m.usageTopic(), host, port, access, settings.sse(), tls);
    }
}
