package dev.llmmeter.serve.metrics;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.Data;
import io.opentelemetry.sdk.metrics.data.DoublePointData;
import io.opentelemetry.sdk.metrics.data.GaugeData;
import io.opentelemetry.sdk.metrics.data.HistogramData;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.MetricDataType;
import io.opentelemetry.sdk.metrics.data.SumData;
import io.opentelemetry.sdk.metrics.data.SummaryData;
import io.opentelemetry.sdk.metrics.data.SummaryPointData;
import io.opentelemetry.sdk.metrics.data.ValueAtQuantile;
import io.opentelemetry.sdk.metrics.export.MetricProducer;
import io.opentelemetry.sdk.resources.Resource;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OTLP push of the registry {@code /metrics} serves, beside it: off unless {@value #ENDPOINT} or
 * {@value #METRICS_ENDPOINT} is set, and off when {@value #SDK_DISABLED} is {@code true}. Every other standard
 * {@code OTEL_*} variable (protocol, headers, interval, timeout, resource, certificates) is read by the OpenTelemetry
 * SDK's own autoconfiguration, as any OpenTelemetry application reads it; traces and logs are never exported.
 *
 * <p>Each export reads the registry as a scrape does: gauges as OTel gauges, counters as cumulative monotonic sums
 * named without {@code _total} (the family name; an OTLP-to-Prometheus conversion adds it back), summaries as OTel
 * summaries with their quantiles (count and sum 0 where the family has none), labels as attributes.
 */
public final class OtlpPush implements AutoCloseable {
    public static final String ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public static final String METRICS_ENDPOINT = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";
    public static final String SDK_DISABLED = "OTEL_SDK_DISABLED";
    /** The one protocol spoken (the default here, though not the SDK's): the JDK's HTTP client sends it, no gRPC stack is shipped. */
    public static final String PROTOCOL = "http/protobuf";
    /** The resource's {@code service.name} when neither OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES names one. */
    public static final String DEFAULT_SERVICE_NAME = "llm-metering";

    private static final InstrumentationScopeInfo SCOPE = InstrumentationScopeInfo.create("dev.llmmeter.serve");

    /** A bad OTEL_* value, in one line: a usage error, as other bad settings are. */
    public static final class BadSetting extends IllegalArgumentException {
        BadSetting(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * The SDK logs through java.util.logging; its INFO line before a configuration error ("Closing partially configured
     * components") would precede serve's own one line. Its warnings (a failed export) still print.
     */
    private static final java.util.logging.Logger SDK_AUTOCONFIG_LOG = java.util.logging.Logger.getLogger("io.opentelemetry.sdk.autoconfigure");

    static {
        SDK_AUTOCONFIG_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    private final OpenTelemetrySdk sdk;
    private boolean closed;

    private final AtomicReference<PrometheusRegistry> pushed;

    private OtlpPush(OpenTelemetrySdk sdk, AtomicReference<PrometheusRegistry> pushed) {
        this.sdk = sdk;
        this.pushed = pushed;
    }

    /** Pushes this registry's families from the next export on. */
    public OtlpPush registry(PrometheusRegistry registry) {
        pushed.set(registry);
        return this;
    }

    /**
     * Starts pushing {@code registry} as the {@code OTEL_*} variables among {@code env} say ({@code System.getenv()}
     * in production), or returns one that pushes nothing when no endpoint is set or the SDK is disabled.
     *
     * @throws BadSetting in one line, for a value the SDK refuses (an endpoint that is no URL, an unknown protocol,
     *                    an interval that is no duration...)
     */
    public static OtlpPush start(PrometheusRegistry registry, Map<String, String> env) {
        return start(env).registry(registry);
    }

    /**
     * As {@link #start(PrometheusRegistry, Map)}, pushing nothing until {@link #registry} names what to push: to check
     * the variables before anything else starts.
     */
    public static OtlpPush start(Map<String, String> env) {
        AtomicReference<PrometheusRegistry> pushed = new AtomicReference<>();
        Map<String, String> props = properties(env);
        if (!enabled(props)) {
            return new OtlpPush(null, pushed);
        }
        if (!props.containsKey("otel.service.name") && !props.getOrDefault("otel.resource.attributes", "").contains("service.name=")) {
            props.put("otel.service.name", DEFAULT_SERVICE_NAME);
        }
        for (String key : List.of("otel.exporter.otlp.protocol", "otel.exporter.otlp.metrics.protocol")) {
            String protocol = props.get(key);
            if (protocol != null && !protocol.trim().equals(PROTOCOL)) {
                throw new BadSetting(key.toUpperCase(Locale.ROOT).replace('.', '_') + " " + protocol
                        + ": serve pushes OTLP over HTTP only, protocol " + PROTOCOL, null);
            }
        }
        if (!props.containsKey("otel.exporter.otlp.metrics.protocol")) {
            props.putIfAbsent("otel.exporter.otlp.protocol", PROTOCOL); // this SDK's own default is grpc
        }
        long start = nowNanos();
        try {
            OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                    .addPropertiesSupplier(() -> props)
                    .addPropertiesCustomizer(c -> Map.of("otel.traces.exporter", "none", "otel.logs.exporter", "none",
                            "otel.metrics.exporter", "otlp"))
                    .addMeterProviderCustomizer((b, c) -> b.registerMetricProducer(new RegistryProducer(pushed, start)))
                    .disableShutdownHook()
                    .build().getOpenTelemetrySdk();
            return new OtlpPush(sdk, pushed);
        } catch (ConfigurationException | IllegalArgumentException e) {
            throw new BadSetting("bad OpenTelemetry setting (OTEL_*): " + oneLine(e), e);
        }
    }

    /** Whether {@code env} turns the push on: an OTLP endpoint set, the SDK not disabled. */
    static boolean enabled(Map<String, String> props) {
        boolean endpoint = !props.getOrDefault("otel.exporter.otlp.endpoint", "").isBlank()
                || !props.getOrDefault("otel.exporter.otlp.metrics.endpoint", "").isBlank();
        return endpoint && !"true".equalsIgnoreCase(props.getOrDefault("otel.sdk.disabled", "").trim());
    }

    /** The OTEL_* variables as the SDK's property names ({@code OTEL_SERVICE_NAME} is {@code otel.service.name}), as the SDK itself maps them. */
    static Map<String, String> properties(Map<String, String> env) {
        Map<String, String> props = new HashMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith("OTEL_")) {
                props.put(k.toLowerCase(Locale.ROOT).replace('_', '.'), v);
            }
        });
        return props;
    }

    /** The SDK's own account of its meter provider: the reader's interval, the exporter's endpoint (for tests). */
    String describe() {
        return sdk == null ? "off" : sdk.getSdkMeterProvider().toString();
    }

    /** Whether this instance pushes (an endpoint was set). */
    public boolean active() {
        return sdk != null;
    }

    /** Stops the periodic export after a last one. */
    @Override
    public synchronized void close() {
        if (sdk != null && !closed) {
            closed = true;
            sdk.shutdown().join(10, TimeUnit.SECONDS);
        }
    }

    /** The exception's message, or its cause's when it has none of its own ("Unexpected configuration error"), in one line. */
    private static String oneLine(Throwable e) {
        while (e.getCause() != null && e.getCause().getMessage() != null && "Unexpected configuration error".equals(e.getMessage())) {
            e = e.getCause();
        }
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        Matcher property = Pattern.compile("\\botel(\\.[a-z]+)+").matcher(m.replaceAll("\\s*\\R\\s*", " "));
        return property.replaceAll(r -> r.group().toUpperCase(Locale.ROOT).replace('.', '_')); // named as the operator set it
    }

    private static long nowNanos() {
        return TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis());
    }

    /** The registry's families as OTel metric data, read at each export. */
    static final class RegistryProducer implements MetricProducer {
        private final AtomicReference<PrometheusRegistry> registry;
        private final long startNanos;

        RegistryProducer(AtomicReference<PrometheusRegistry> registry, long startNanos) {
            this.registry = registry;
            this.startNanos = startNanos;
        }

        @Override
        public Collection<MetricData> produce(Resource resource) {
            long now = nowNanos();
            List<MetricData> out = new ArrayList<>();
            PrometheusRegistry pushed = registry.get();
            if (pushed == null) {
                return out;
            }
            for (MetricSnapshot s : pushed.scrape()) {
                String name = s.getMetadata().getPrometheusName();
                String help = s.getMetadata().getHelp() == null ? "" : s.getMetadata().getHelp();
                if (s instanceof GaugeSnapshot g) {
                    List<DoublePointData> points = new ArrayList<>();
                    for (GaugeSnapshot.GaugeDataPointSnapshot p : g.getDataPoints()) {
                        points.add(DoublePointData.create(start(p), now, attributes(p.getLabels()), p.getValue(), List.of()));
                    }
                    out.add(new Metric(resource, name, help, "", MetricDataType.DOUBLE_GAUGE, GaugeData.createDoubleGaugeData(points)));
                } else if (s instanceof CounterSnapshot c) {
                    List<DoublePointData> points = new ArrayList<>();
                    for (CounterSnapshot.CounterDataPointSnapshot p : c.getDataPoints()) {
                        points.add(DoublePointData.create(start(p), now, attributes(p.getLabels()), p.getValue(), List.of()));
                    }
                    out.add(new Metric(resource, name, help, "", MetricDataType.DOUBLE_SUM,
                            SumData.createDoubleSumData(true, AggregationTemporality.CUMULATIVE, points)));
                } else if (s instanceof SummarySnapshot sum) {
                    List<SummaryPointData> points = new ArrayList<>();
                    for (SummarySnapshot.SummaryDataPointSnapshot p : sum.getDataPoints()) {
                        List<ValueAtQuantile> qs = new ArrayList<>();
                        for (Quantile q : p.getQuantiles()) {
                            qs.add(ValueAtQuantile.create(q.getQuantile(), q.getValue()));
                        }
                        points.add(SummaryPointData.create(start(p), now, attributes(p.getLabels()),
                                p.hasCount() ? p.getCount() : 0, p.hasSum() ? p.getSum() : 0, qs));
                    }
                    out.add(new Metric(resource, name, help, "", MetricDataType.SUMMARY, SummaryData.create(points)));
                } else if (s instanceof HistogramSnapshot h) {
                    List<HistogramPointData> points = new ArrayList<>();
                    GenAiMetrics.OtelName otel = GenAiMetrics.OTEL_NAMES.get(name); // sent under the conventions' names
                    for (HistogramSnapshot.HistogramDataPointSnapshot p : h.getDataPoints()) {
                        points.add(histogramPoint(start(p), now, otel == null ? attributes(p.getLabels()) : otelAttributes(p.getLabels()), p));
                    }
                    out.add(new Metric(resource, otel == null ? name : otel.name(), help, otel == null ? "" : otel.unit(), MetricDataType.HISTOGRAM,
                            HistogramData.create(AggregationTemporality.CUMULATIVE, points)));
                }
                // serve registers no other type (no native histograms, info or state sets)
            }
            return out;
        }

        /**
         * A classic histogram as OTel's explicit-bucket histogram: the same upper bounds but +Inf (OTel's last bucket
         * is implicit), the count of each bucket, the sum; no min or max (Prometheus keeps none).
         */
        static HistogramPointData histogramPoint(long start, long now, Attributes attributes,
                                                 HistogramSnapshot.HistogramDataPointSnapshot p) {
            ClassicHistogramBuckets buckets = p.getClassicBuckets();
            List<Double> bounds = new ArrayList<>();
            List<Long> counts = new ArrayList<>();
            for (int i = 0; i < buckets.size(); i++) {
                if (!Double.isInfinite(buckets.getUpperBound(i))) {
                    bounds.add(buckets.getUpperBound(i));
                }
                counts.add(buckets.getCount(i));
            }
            return HistogramPointData.create(start, now, attributes, p.hasSum() ? p.getSum() : 0, false, 0, false, 0, bounds, counts);
        }

        /** Labels as attributes named as the GenAI conventions name them ({@code gen_ai.request.model}). */
        private static Attributes otelAttributes(Labels labels) {
            AttributesBuilder b = Attributes.builder();
            for (int i = 0; i < labels.size(); i++) {
                if (!labels.getValue(i).isEmpty()) {
                    b.put(GenAiMetrics.OTEL_ATTRIBUTES.getOrDefault(labels.getName(i), labels.getName(i)), labels.getValue(i));
                }
            }
            return b.build();
        }

        private long start(DataPointSnapshot p) {
            return p.hasCreatedTimestamp() ? TimeUnit.MILLISECONDS.toNanos(p.getCreatedTimestampMillis()) : startNanos;
        }

        /** Labels as attributes; an empty label is absent, as Prometheus treats it. */
        private static Attributes attributes(Labels labels) {
            AttributesBuilder b = Attributes.builder();
            for (int i = 0; i < labels.size(); i++) {
                if (!labels.getValue(i).isEmpty()) {
                    b.put(labels.getName(i), labels.getValue(i));
                }
            }
            return b.build();
        }
    }

    /** One metric of one export; the SDK gives no public factory for metric data a producer makes. */
    private record Metric(Resource resource, String name, String description, String unit, MetricDataType type, Data<?> data)
            implements MetricData {
        @Override
        public Resource getResource() {
            return resource;
        }

        @Override
        public InstrumentationScopeInfo getInstrumentationScopeInfo() {
            return SCOPE;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public String getDescription() {
            return description;
        }

        @Override
        public String getUnit() {
            return unit;
        }

        @Override
        public MetricDataType getType() {
            return type;
        }

        @Override
        public Data<?> getData() {
            return data;
        }
    }
}
