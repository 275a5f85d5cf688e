package dev.llmmeter.serve;

import dev.llmmeter.serve.feed.LiveFeed;
import dev.llmmeter.contract.OutputTopics;
import dev.llmmeter.serve.http.Access;
import dev.llmmeter.serve.http.MeteringServer;
import dev.llmmeter.serve.http.SseHub;
import dev.llmmeter.serve.http.TlsIdentity;
import dev.llmmeter.serve.metrics.OtlpPush;
import dev.llmmeter.serve.usage.UsageFeed;
import dev.llmmeter.serve.usage.UsageLedgerView;

import dev.llmmeter.contract.Topics;

import java.util.Properties;

/**
 * {@code serve} as one object: the view, its Kafka feed and the HTTP server over them. What
 * {@code bin/metering serve} and {@code bin/metering run --http-port} start.
 */
public final class MeteringService implements AutoCloseable {
    private final MeteringView view;
    private final LiveFeed feed;
    private final UsageFeed usageFeed;
    private final UsageLedgerView ledger;
    private final MeteringServer server;
    private final OtlpPush otlp;
    private final int port;

    private MeteringService(MeteringView view, LiveFeed feed, UsageFeed usageFeed, UsageLedgerView ledger,
                            MeteringServer server, OtlpPush otlp, int port) {
        this.otlp = otlp;
        this.view = view;
        this.feed = feed;
        this.usageFeed = usageFeed;
        this.ledger = ledger;
        this.server = server;
        this.port = port;
    }

    /**
     * @param kafkaSettings consumer settings; at least {@code bootstrap.servers}
     * @param host          interface to bind, null for loopback (127.0.0.1)
     * @param httpPort      0 picks a free port
     */
    public static MeteringService start(Properties kafkaSettings, String host, int httpPort) {
        return start(kafkaSettings, OutputTopics.DEFAULTS, host, httpPort);
    }

    /** As {@link #start(Properties, String, int)}, reading the topology's outputs under these names. */
    public static MeteringService start(Properties kafkaSettings, OutputTopics topics, String host, int httpPort) {
        return start(kafkaSettings, topics, Topics.USAGE.name(), host, httpPort);
    }

    /** As {@link #start(Properties, OutputTopics, String, int)}, with the usage ledger under {@code usageTopic}. */
    public static MeteringService start(Properties kafkaSettings, OutputTopics topics, String usageTopic, String host, int httpPort) {
        return start(kafkaSettings, topics, usageTopic, host, httpPort, Access.anonymous());
    }

    /** As {@link #start(Properties, OutputTopics, String, String, int)}, readers admitted by {@code access}. */
    public static MeteringService start(Properties kafkaSettings, OutputTopics topics, String usageTopic, String host, int httpPort,
                                        Access access) {
        return start(kafkaSettings, topics, usageTopic, host, httpPort, access, SseHub.Settings.defaults());
    }

    /** As {@link #start(Properties, OutputTopics, String, String, int, Access)}, its SSE clients held to {@code sse}. */
    public static MeteringService start(Properties kafkaSettings, OutputTopics topics, String usageTopic, String host, int httpPort,
                                        Access access, SseHub.Settings sse) {
        return start(kafkaSettings, topics, usageTopic, host, httpPort, access, sse, null);
    }

    /**
     * As {@link #start(Properties, OutputTopics, String, String, int, Access, SseHub.Settings)}, over HTTPS (HTTP/2 and
     * HTTP/1.1) with {@code tls}, plain HTTP when it is null. Pushes its metrics over OTLP too when the process's
     * environment sets an OTLP endpoint ({@link OtlpPush}).
     *
     * @throws OtlpPush.BadSetting for a bad OTEL_* variable, before anything starts
     */
    public static MeteringService start(Properties kafkaSettings, OutputTopics topics, String usageTopic, String host, int httpPort,
                                        Access access, SseHub.Settings sse, TlsIdentity tls) {
        OtlpPush otlp = OtlpPush.start(System.getenv()); // first: a bad OTEL_* variable stops serve before it connects
        MeteringView view = new MeteringView();
        LiveFeed feed;
        try {
            feed = new LiveFeed(kafkaSettings, view, LiveFeed.Settings.defaults(topics));
        } catch (RuntimeException e) {
            otlp.close();
            throw e;
        }
        UsageLedgerView ledger = new UsageLedgerView();
        UsageFeed usageFeed;
        try {
            usageFeed = new UsageFeed(kafkaSettings, usageTopic, ledger);
        } catch (RuntimeException e) {
            feed.close();
            otlp.close();
            throw e;
        }
        MeteringServer server = new MeteringServer(view, feed, sse).host(host).access(access).tls(tls)
                .usage(ledger, usageFeed::notReadyReason, usageFeed::invalidRecords);
        otlp.registry(server.metrics().registry());
        int port;
        try {
            port = server.start(httpPort);
        } catch (RuntimeException e) {
            otlp.close();
            feed.close();
            usageFeed.close();
            server.close();
            throw e;
        }
        feed.start();
        usageFeed.start();
        return new MeteringService(view, feed, usageFeed, ledger, server, otlp, port);
    }

    public UsageLedgerView ledger() {
        return ledger;
    }

    public int port() {
        return port;
    }

    public MeteringView view() {
        return view;
    }

    public MeteringServer server() {
        return server;
    }

    public Readiness readiness() {
        return feed;
    }

    @Override
    public void close() {
        otlp.close(); // a last export while the view still answers
        server.close();
        feed.close();
        usageFeed.close();
    }
}
