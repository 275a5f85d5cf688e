package dev.llmmeter.serve.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llmmeter.contract.Topic;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.contract.Insight;
import dev.llmmeter.serve.MeteringView;
import dev.llmmeter.serve.Readiness;
import dev.llmmeter.serve.metrics.ServeMetrics;
import dev.llmmeter.serve.usage.UsageJson;
import dev.llmmeter.serve.usage.UsageLedgerView;
import dev.llmmeter.serve.usage.UsageQuery;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.prometheus.metrics.exporter.common.PrometheusHttpExchange;
import io.prometheus.metrics.exporter.common.PrometheusHttpRequest;
import io.prometheus.metrics.exporter.common.PrometheusHttpResponse;
import io.prometheus.metrics.exporter.common.PrometheusScrapeHandler;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.DispatcherType;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.EnumSet;
import java.util.Enumeration;
import java.util.List;
import java.util.function.Supplier;

/**
 * The HTTP face of the metering view: SSE for chat UIs ({@code /events}), JSON ({@code /api/...}),
 * Prometheus ({@code /metrics}), probes and the live dashboard ({@code /}).
 *
 * <p>Javalin on Jetty 12: routing, static resources (the dashboard, uPlot from its WebJar) and error
 * mapping from Javalin; SSE as a plain asynchronous servlet beside it, whose non-blocking writes let a
 * thousand idle or slow clients cost a queue each rather than a thread each.
 */
public final class MeteringServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MeteringServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JSON_TYPE = "application/json";
    public static final String LOOPBACK = "127.0.0.1";
    /**
     * The request line and headers together may take this many bytes: a longer URL is answered 414, longer
     * headers 431 (Jetty counts both against one buffer, and answers before any route, through {@link JsonErrorHandler}).
     */
    public static final int MAX_REQUEST_HEAD_BYTES = 8 * 1024;

    private final MeteringView view;
    private final Readiness readiness;
    private final SseHub hub;
    private final SseHub.Settings sseSettings;
    private final ServeMetrics metrics;
    private final PrometheusScrapeHandler scrape;
    private String host = LOOPBACK;
    private Access access = Access.anonymous();
    private TlsIdentity tls;
    private Javalin app;
    private volatile UsageLedgerView usage;
    private volatile Supplier<String> usageNotReady = () -> "the usage ledger is not read by this server";

    public MeteringServer(MeteringView view, Readiness readiness) {
        this(view, readiness, SseHub.Settings.defaults());
    }

    public MeteringServer(MeteringView view, Readiness readiness, SseHub.Settings sse) {
        this.view = view;
        this.readiness = readiness;
        this.sseSettings = sse;
        this.hub = new SseHub(view, sse);
        this.metrics = new ServeMetrics(view, hub, () -> readiness.notReadyReason() == null);
        this.scrape = new PrometheusScrapeHandler(metrics.registry());
    }

    /** Binds to this interface only (default, and for null: {@value #LOOPBACK}, this machine only). */
    public MeteringServer host(String host) {
        this.host = host == null ? LOOPBACK : host;
        return this;
    }

    /**
     * Serves HTTPS with this identity, HTTP/2 and HTTP/1.1 on the one port (the client chooses by ALPN); null, the
     * default: plain HTTP/1.1.
     */
    public MeteringServer tls(TlsIdentity identity) {
        this.tls = identity;
        return this;
    }

    /** Whether the server speaks TLS ({@link #tls}). */
    public boolean secure() {
        return tls != null;
    }

    /** Who may read what ({@link Access#anonymous()} unless set): tokens and their scopes, CORS origins. */
    public MeteringServer access(Access access) {
        this.access = access;
        return this;
    }

    /**
     * Serves the usage ledger from this view ({@code /api/usage}, {@code /api/usage/summary}, the usage counters of
     * {@code /metrics}); {@code notReady} says why the ledger cannot be answered yet (null: it can).
     */
    public MeteringServer usage(UsageLedgerView ledger, Supplier<String> notReady, java.util.function.LongSupplier invalidRecords) {
        this.usage = ledger;
        this.usageNotReady = notReady;
        metrics.registerUsage(ledger, invalidRecords);
        return this;
    }

    /** For {@code run}: expose the in-process Kafka Streams metrics too, {@code metrics().registerKafkaMetrics(streams::metrics)}. */
    public ServeMetrics metrics() {
        return metrics;
    }

    public SseHub hub() {
        return hub;
    }

    /**
     * @param port 0 picks a free port
     * @return the port bound
     */
    public synchronized int start(int port) {
        if (app != null) {
            throw new IllegalStateException("already started");
        }
        EventsServlet events = new EventsServlet(hub, sseSettings.clientBuffer());
        AccessFilter filter = new AccessFilter(access);
        app = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.startup.showOldJavalinVersionWarning = false;
            cfg.staticFiles.enableWebjars();
            cfg.http.prefer405over404 = true;
            cfg.jetty.modifyHttpConfiguration(http -> http.setRequestHeaderSize(MAX_REQUEST_HEAD_BYTES));
            cfg.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
            if (tls != null) {
                TlsIdentity identity = tls;
                String bind = host;
                cfg.jetty.addConnector((server, http) -> TlsConnector.create(server, http, identity, bind, port));
            }
            cfg.jetty.modifyServletContextHandler(h -> {
                h.setErrorHandler(new JsonErrorHandler());
                h.addServlet(new ServletHolder("events", events), "/events");
                h.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST));
            });
            cfg.routes.get("/", ctx -> resource(ctx, "/dashboard/index.html", "text/html; charset=utf-8"));
            cfg.routes.get("/dashboard.js", ctx -> resource(ctx, "/dashboard/dashboard.js", "text/javascript; charset=utf-8"));
            cfg.routes.get("/dashboard.css", ctx -> resource(ctx, "/dashboard/dashboard.css", "text/css; charset=utf-8"));
            cfg.routes.get("/api/stats", this::stats);
            cfg.routes.get("/api/stats/history", this::statsHistory);
            cfg.routes.get("/api/insights", this::insights);
            cfg.routes.get("/api/streams/{id}", this::stream);
            cfg.routes.get("/api/usage", this::usage);
            cfg.routes.get("/api/usage/summary", this::usageSummary);
            cfg.routes.get("/healthz", this::health);
            cfg.routes.get("/readyz", this::ready);
            cfg.routes.get("/metrics", this::scrape);
            cfg.routes.exception(Params.BadParameter.class, (e, ctx) -> error(ctx, 400, e.getMessage()));
            cfg.routes.exception(UsageQuery.BadQuery.class, (e, ctx) -> error(ctx, 400, e.getMessage()));
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                log.warn("{} {} failed", ctx.method(), ctx.path(), e);
                error(ctx, 500, "internal error");
            });
            cfg.routes.error(404, ctx -> {
                if (!JSON_TYPE.equals(ctx.res().getContentType())) {
                    error(ctx, 404, "no such path: " + ctx.path());
                }
            });
            cfg.routes.error(405, ctx -> {
                ctx.header("Allow", "GET"); // every route is GET
                error(ctx, 405, "method " + ctx.method() + " not allowed on " + ctx.path());
            });
        });
        app.start(host, port);
        return app.port();
    }

    public synchronized int port() {
        if (app == null) {
            throw new IllegalStateException("not started");
        }
        return app.port();
    }

    /** Every path served, as registered ({@code /api/streams/{id}}), the SSE servlet's included: what the access rules cover. */
    public synchronized List<String> paths() {
        if (app == null) {
            throw new IllegalStateException("not started");
        }
        List<String> paths = new java.util.ArrayList<>(app.unsafe.internalRouter.allHttpHandlers().stream()
                .map(e -> e.endpoint.path).toList());
        paths.add("/events");
        return paths;
    }

    /** The address the server listens on ({@code 127.0.0.1} unless {@link #host} said otherwise). */
    public synchronized String boundHost() {
        if (app == null) {
            throw new IllegalStateException("not started");
        }
        return ((org.eclipse.jetty.server.ServerConnector) app.jettyServer().server().getConnectors()[0]).getHost();
    }

    @Override
    public synchronized void close() {
        hub.close();
        if (app != null) {
            app.stop();
            app = null;
        }
    }

    // ---- handlers -----------------------------------------------------------------------------------

    private void stats(Context ctx) {
        view.latestStats().ifPresentOrElse(
                s -> ctx.status(200).contentType(JSON_TYPE).result(Topics.STATS.serializeValue(s)),
                () -> error(ctx, 503, "no stats record yet"));
    }

    /**
     * The ticks the SSE ring holds (the last {@link SseHub.Settings#ringSize()}), oldest first, each as the stats topic
     * carries it: what the dashboard draws on load. Global figures, as {@code /api/stats}: every token reads them.
     */
    private void statsHistory(Context ctx) {
        if (!ctx.queryParamMap().isEmpty()) {
            throw new Params.BadParameter("/api/stats/history takes no parameters");
        }
        array(ctx, Topics.STATS, hub.recent());
    }

    /**
     * A tenant token sees the global group and its own tenant's, as if no other group existed: model groups mix
     * every tenant's streams, and another tenant's group answers as one with no record.
     */
    private void insights(Context ctx) {
        String group = ctx.queryParam("group");
        Scope scope = scope(ctx);
        switch (Params.group(group)) {
            case ALL -> array(ctx, Topics.INSIGHTS, view.insights().stream().filter(i -> visible(scope, i)).toList());
            case KIND -> array(ctx, Topics.INSIGHTS, view.insights().stream()
                    .filter(i -> i.group().wireName().equals(group) && visible(scope, i)).toList());
            case KEY -> view.insight(group).filter(i -> visible(scope, i)).ifPresentOrElse(
                    i -> ctx.status(200).contentType(JSON_TYPE).result(Topics.INSIGHTS.serializeValue(i)),
                    () -> error(ctx, 404, "no insights for group " + group));
        }
    }

    private void stream(Context ctx) {
        String id = Params.streamId(ctx.pathParam("id"), "stream id");
        Scope scope = scope(ctx);
        view.stream(id).filter(s -> scope.sees(s.tenant())).ifPresentOrElse(
                s -> ctx.status(200).contentType(JSON_TYPE).result(Topics.STREAMS.serializeValue(s)),
                () -> error(ctx, 404, "unknown stream " + Params.quote(id)));
    }

    /** 400 on bad parameters before 503: a malformed query is wrong whether or not the ledger is read yet. */
    private void usage(Context ctx) {
        UsageQuery q = UsageQuery.parse(ctx.queryParamMap());
        Scope scope = scope(ctx);
        if (!scope.admin()) {
            if (q.tenant() != null && !scope.tenant().equals(q.tenant())) {
                error(ctx, 403, "this token reads the usage of tenant " + Params.quote(scope.tenant()) + " only");
                return;
            }
            q = new UsageQuery(scope.tenant(), q.model(), q.from(), q.to(), q.window());
        }
        UsageLedgerView ledger = usage;
        String notReady = usageNotReady.get();
        if (ledger == null || notReady != null) {
            error(ctx, 503, notReady == null ? "the usage ledger is not read by this server" : notReady);
            return;
        }
        ctx.status(200).contentType(JSON_TYPE).result(UsageJson.usage(q, ledger.rows(q.window(), q.from(), q.to(), q.tenant(), q.model())));
    }

    private void usageSummary(Context ctx) {
        if (!ctx.queryParamMap().isEmpty()) {
            throw new UsageQuery.BadQuery("/api/usage/summary takes no parameters");
        }
        UsageLedgerView ledger = usage;
        String notReady = usageNotReady.get();
        if (ledger == null || notReady != null) {
            error(ctx, 503, notReady == null ? "the usage ledger is not read by this server" : notReady);
            return;
        }
        Scope scope = scope(ctx);
        ctx.status(200).contentType(JSON_TYPE).result(UsageJson.summary(scope.admin() ? ledger.summary() : ledger.summaryOf(scope.tenant())));
    }

    private static Scope scope(Context ctx) {
        return AccessFilter.scope(ctx.req());
    }

    private static boolean visible(Scope scope, Insight i) {
        return scope.admin() || i.group() == Insight.Group.GLOBAL
                || (i.group() == Insight.Group.TENANT && scope.sees(i.name()));
    }

    private void health(Context ctx) {
        String failure = readiness.failure();
        ObjectNode body = JSON.createObjectNode().put("status", failure == null ? "ok" : "failing");
        if (failure != null) {
            body.put("reason", failure);
        }
        json(ctx, failure == null ? 200 : 503, body);
    }

    private void ready(Context ctx) {
        String reason = readiness.notReadyReason();
        ObjectNode body = JSON.createObjectNode().put("status", reason == null ? "ready" : "not ready");
        if (reason != null) {
            body.put("reason", reason);
        }
        json(ctx, reason == null ? 200 : 503, body);
    }

    private void scrape(Context ctx) throws IOException {
        scrape.handleRequest(new ServletExchange(ctx.req(), ctx.res()));
    }

    /** The records as a JSON array, each as the topic carries it. */
    private static <V> void array(Context ctx, Topic<?, V> topic, List<V> records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 * (records.size() + 1));
        out.write('[');
        for (int i = 0; i < records.size(); i++) {
            if (i > 0) {
                out.write(',');
            }
            out.writeBytes(topic.serializeValue(records.get(i)));
        }
        out.write(']');
        ctx.status(200).contentType(JSON_TYPE).result(out.toByteArray());
    }

    private static void json(Context ctx, int status, JsonNode body) {
        try {
            ctx.status(status).contentType(JSON_TYPE).result(JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void error(Context ctx, int status, String message) {
        ctx.status(status).contentType(JSON_TYPE).result(JsonErrors.body(status, message));
    }

    private static void resource(Context ctx, String path, String type) throws IOException {
        try (InputStream in = MeteringServer.class.getResourceAsStream(path)) {
            if (in == null) {
                error(ctx, 404, "no such path: " + ctx.path());
                return;
            }
            ctx.status(200).contentType(type).result(in.readAllBytes());
        }
    }

    /** The Prometheus scrape handler's view of a servlet exchange. */
    private record ServletExchange(HttpServletRequest req, HttpServletResponse res) implements PrometheusHttpExchange {
        @Override
        public PrometheusHttpRequest getRequest() {
            return new PrometheusHttpRequest() {
                @Override
                public String getQueryString() {
                    return req.getQueryString();
                }

                @Override
                public Enumeration<String> getHeaders(String name) {
                    return req.getHeaders(name);
                }

                @Override
                public String getMethod() {
                    return req.getMethod();
                }

                @Override
                public String getRequestPath() {
                    return req.getRequestURI();
                }
            };
        }

        @Override
        public PrometheusHttpResponse getResponse() {
            return new PrometheusHttpResponse() {
                @Override
                public void setHeader(String name, String value) {
                    res.setHeader(name, value);
                }

                @Override
                public OutputStream sendHeadersAndGetBody(int status, int contentLength) throws IOException {
                    res.setStatus(status);
                    if (contentLength > 0) {
                        res.setContentLength(contentLength);
                    }
                    return res.getOutputStream();
                }
            };
        }

        @Override
        public void handleException(IOException e) throws IOException {
            throw e;
        }

        @Override
        public void handleException(RuntimeException e) {
            throw e;
        }

        @Override
        public void close() {
        }
    }
}
