package dev.llmmeter.serve.metrics;

import dev.llmmeter.contract.Insight;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.serve.MeteringView;
import dev.llmmeter.serve.http.SseHub;
import dev.llmmeter.serve.usage.UsageLedgerView;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.SummaryWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.Quantiles;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What {@code GET /metrics} exposes, read from the view at scrape time (nothing is copied on each tick).
 * Units are in the names ({@code _seconds}, {@code _tokens_per_second}), as Prometheus and OpenTelemetry's
 * naming ask; the insights' milliseconds are converted to seconds.
 *
 * <p>Breakdowns carry {@code model} and {@code tenant} labels; the global group has both empty (which
 * Prometheus treats as absent), a model's group has an empty {@code tenant}, and so on. A group whose
 * name is JSON null (events without a model or tenant) is labelled {@code "null"}.
 *
 * <p>The exposition passes Prometheus' linter, {@code promtool check metrics}: the TTFT, inter-delta and time per output token percentiles
 * are summaries (the type whose {@code quantile} label they carry), and the bridged Kafka metrics are renamed
 * as {@link KafkaMetricsCollector#translate} says.
 */
public final class ServeMetrics {
    private static final String[] GROUP_LABELS = {"model", "tenant"};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final MeteringView view;
    private final GenAiMetrics genAi;

    public ServeMetrics(MeteringView view, SseHub hub, BooleanSupplier ready) {
        this.view = view;
        statsGauge("llm_metering_tokens_per_second",
                "Mean tokens per second over the active streams with a reading (the seed's tps); absent when none", Stats::tps);
        statsGauge("llm_metering_tokens_per_second_high", "Highest tps reading >= 1.0 in the past hour; absent when none", Stats::high);
        statsGauge("llm_metering_tokens_per_second_low", "Lowest tps reading >= 1.0 in the past hour; absent when none", Stats::low);
        statsGauge("llm_metering_active_streams", "Live streams: begun, not ended, not pruned", s -> (double) s.active());
        statsGauge("llm_metering_last_tick_timestamp_seconds", "Time of the latest stats tick, epoch seconds", s -> s.ts() / 1000.0);

        insightGauge("llm_metering_group_tokens_per_second",
                "Mean per-stream tokens per second over the group's active streams (the seed's formula)", Insight::tps);
        insightGauge("llm_metering_group_active_streams", "Active streams in the group", i -> (double) i.active());
        insightGauge("llm_metering_system_tokens_per_second",
                "Output and reasoning tokens applied in the last 10 s, divided by 10", Insight::systemTps);
        insightGauge("llm_metering_streams_started_last_minute", "Streams begun in the last 60 s", i -> (double) i.started());
        insightGauge("llm_metering_streams_ended_last_minute", "Streams ended in the last 60 s", i -> (double) i.ended());
        quantileSummary("llm_metering_time_to_first_token_seconds",
                "Time to first token (begin to first delta, event time) of streams whose first delta came in the last 60 s",
                Insight::ttftMs);
        quantileSummary("llm_metering_inter_delta_latency_seconds",
                "Event-time gap between consecutive deltas of one stream, over deltas applied in the last 60 s", Insight::itlMs);
        quantileSummary("llm_metering_time_per_output_token_seconds",
                "Time per output token (first to last output delta, event time, over output tokens minus 1) of each "
                        + "stream that left in the last 60 s", Insight::tpotMs);
        SloMetrics.register(registry, view);

        GaugeWithCallback.builder().name("llm_metering_serve_ready")
                .help("1 when the server's consumer is assigned and has caught up with its topics, else 0")
                .callback(cb -> cb.call(ready.getAsBoolean() ? 1 : 0)).register(registry);
        GaugeWithCallback.builder().name("llm_metering_serve_sse_clients").help("SSE clients connected to /events")
                .callback(cb -> cb.call(hub.clients())).register(registry);
        counter("llm_metering_serve_sse_connections", "SSE connections accepted", hub::connections);
        counter("llm_metering_serve_sse_dropped_clients",
                "SSE clients dropped because they did not read fast enough (their per-client buffer was full)", hub::dropped);
        CounterWithCallback.builder().name("llm_metering_serve_sse_refused_clients")
                .help("SSE clients refused (503) because the server's cap (reason max_clients) or their token's "
                        + "(max_clients_per_token) was reached")
                .labelNames("reason").callback(cb -> {
                    for (SseHub.Refusal r : SseHub.Refusal.values()) {
                        cb.call(hub.refused(r), r.label);
                    }
                }).register(registry);
        counter("llm_metering_serve_repeated_ticks", "Stats ticks skipped as exact repeats of a tick already delivered", view::repeatedTicks);
        counter("llm_metering_serve_behind_ticks", "Stats ticks skipped because a later tick was already delivered", view::behindTicks);
        counter("llm_metering_serve_invalid_records", "Records that were not the JSON objects their topic carries", view::invalidRecords);
        counter("llm_metering_serve_evicted_streams", "Streams forgotten by age or by the view's size cap", view::evictedStreams);

        genAi = new GenAiMetrics(registry);
        view.onStream(genAi::offer);
    }

    /** The GenAI semantic conventions' histograms, fed by the view's final stream records. */
    public GenAiMetrics genAi() {
        return genAi;
    }

    /**
     * The usage ledger's cumulative counters since this server began reading it (from the topic's beginning):
     * {@code llm_metering_usage_tokens_total{model,tenant,type}} (type input, output, reasoning, cached_input) and
     * {@code llm_metering_usage_requests_total{model,tenant}}, for alerts on consumption
     * ({@code increase(...[1h])}). At most the view's bound of (tenant, model) pairs; the rest are summed under
     * tenant and model {@code other}.
     */
    public void registerUsage(UsageLedgerView ledger, java.util.function.LongSupplier invalidRecords) {
        CounterWithCallback.builder().name("llm_metering_usage_tokens")
                .help("Tokens billed in the usage ledger, by model, tenant and type (input, output, reasoning, cached_input)")
                .labelNames("model", "tenant", "type").callback(cb -> {
                    for (UsageLedgerView.Counter c : ledger.counters()) {
                        UsageLedgerView.Totals t = c.totals();
                        cb.call(t.inputTokens().doubleValue(), c.model(), c.tenant(), "input");
                        cb.call(t.outputTokens().doubleValue(), c.model(), c.tenant(), "output");
                        cb.call(t.reasoningTokens().doubleValue(), c.model(), c.tenant(), "reasoning");
                        cb.call(t.cachedInputTokens().doubleValue(), c.model(), c.tenant(), "cached_input");
                    }
                }).register(registry);
        CounterWithCallback.builder().name("llm_metering_usage_requests")
                .help("Requests billed in the usage ledger, by model and tenant").labelNames("model", "tenant").callback(cb -> {
                    for (UsageLedgerView.Counter c : ledger.counters()) {
                        cb.call(c.totals().requests(), c.model(), c.tenant());
                    }
                }).register(registry);
        counter("llm_metering_serve_usage_dropped_windows",
                "Usage windows serve forgot because its ledger view held more records than its bound", ledger::droppedWindows);
        counter("llm_metering_serve_invalid_usage_records", "Records of the usage topic that were not usage records", invalidRecords);
        GaugeWithCallback.builder().name("llm_metering_serve_usage_records").help("Usage records serve's ledger view holds")
                .callback(cb -> cb.call(ledger.records())).register(registry);
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    /**
     * Exposes the metrics of a Kafka client or Kafka Streams instance in this process (as {@code run} hosts
     * the topology): pass {@code kafkaStreams::metrics}. They are read at scrape time.
     */
    public void registerKafkaMetrics(Supplier<Map<MetricName, ? extends Metric>> metrics) {
        registry.register(new KafkaMetricsCollector(metrics));
    }

    private void statsGauge(String name, String help, java.util.function.Function<Stats, Double> value) {
        GaugeWithCallback.builder().name(name).help(help).callback(cb -> {
            Optional<Stats> s = view.latestStats();
            Double v = s.map(value).orElse(null);
            if (v != null) {
                cb.call(v);
            }
        }).register(registry);
    }

    private void insightGauge(String name, String help, Function<Insight, Double> value) {
        GaugeWithCallback.builder().name(name).help(help).labelNames(GROUP_LABELS).callback(cb -> {
            for (Insight i : view.insights()) {
                Double v = value.apply(i);
                if (v != null) {
                    cb.call(v, labels(i));
                }
            }
        }).register(registry);
    }

    /**
     * The insights' p50, p90 and p99 as a summary's quantiles 0.5, 0.9 and 0.99, in seconds: precomputed over a
     * sliding minute, as a summary's quantiles are. No {@code _count} or {@code _sum}: a summary's are cumulative
     * since the process began, and the insights count the last minute only.
     */
    private void quantileSummary(String name, String help, Function<Insight, Insight.Percentiles> field) {
        SummaryWithCallback.builder().name(name).help(help + "; quantiles 0.5, 0.9, 0.99").labelNames(GROUP_LABELS).callback(cb -> {
            for (Insight i : view.insights()) {
                Insight.Percentiles q = field.apply(i);
                if (q == null) {
                    continue;
                }
                Quantiles quantiles = Quantiles.of(new Quantile(0.5, seconds(q.p50())), new Quantile(0.9, seconds(q.p90())),
                        new Quantile(0.99, seconds(q.p99())));
                cb.call(-1, Double.NaN, quantiles, labels(i)); // -1 and NaN: no _count, no _sum
            }
        }).register(registry);
    }

    /** Milliseconds as seconds, the decimal point moved (1483.6 ms is 1.4836 s, not 1.4835999999999998). */
    static double seconds(double ms) {
        return Double.isFinite(ms) ? java.math.BigDecimal.valueOf(ms).movePointLeft(3).doubleValue() : ms / 1000.0;
    }

    private void counter(String name, String help, java.util.function.LongSupplier value) {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsLong())).register(registry);
    }

    /** {model, tenant} of a group, from the record's {@code group} and {@code name}. */
    static String[] labels(Insight i) {
        String name = i.name() == null ? "null" : i.name();
        return switch (i.group()) {
            case MODEL -> new String[]{name, ""};
            case TENANT -> new String[]{"", name};
            case GLOBAL -> new String[]{"", ""};
        };
    }
}
