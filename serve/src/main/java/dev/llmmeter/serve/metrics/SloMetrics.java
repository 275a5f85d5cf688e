package dev.llmmeter.serve.metrics;

import dev.llmmeter.contract.Insight;
import dev.llmmeter.serve.MeteringView;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.function.Function;

/**
 * The service level figures of the insights ({@code slo}) on {@code /metrics}, read from the view at scrape time:
 * <ul>
 *   <li>{@code llm_metering_slo_attainment_ratio{model,tenant,objective,window}}: objective {@code ttft}, {@code tpot}
 *       or {@code all}, window {@code 1m} or {@code 1h}; absent where the record's share is null (the objective is
 *       unset for the group, or no stream was judged on it in the window);</li>
 *   <li>{@code llm_metering_goodput_streams_per_second} and {@code llm_metering_goodput_tokens_per_second}
 *       {@code {model,tenant,window}}, for every group whose record carries {@code slo};</li>
 *   <li>{@code llm_metering_slo_objective_seconds{objective,model}}: the defaults with {@code model=""} (from the global
 *       record), and each model group's own (its model's objective, else the default; not {@code other}'s);</li>
 *   <li>{@code llm_metering_slo_target_ratio}: the attainment aimed at ({@code metering.slo.target}), from the global
 *       record, for alerts that compare the attainment with it.</li>
 * </ul>
 * Without any objective set no record carries {@code slo}, and none of these has a sample.
 */
final class SloMetrics {
    private static final String[] WINDOWS = {"1m", "1h"};

    private SloMetrics() {
    }

    static void register(PrometheusRegistry registry, MeteringView view) {
        GaugeWithCallback.builder().name("llm_metering_slo_attainment_ratio")
                .help("Share of the streams that left in the window and were judged on the objective that met it (all: "
                        + "met every objective they were judged on); exactly at the objective counts as met")
                .labelNames("model", "tenant", "objective", "window").callback(cb -> {
                    for (Insight i : view.insights()) {
                        if (i.slo() == null) {
                            continue;
                        }
                        String[] g = ServeMetrics.labels(i);
                        Insight.Attainment[] windows = {i.slo().lastMinute(), i.slo().lastHour()};
                        for (int w = 0; w < 2; w++) {
                            Insight.Attainment a = windows[w];
                            if (a == null) {
                                continue;
                            }
                            call(cb, a.ttft(), g, "ttft", WINDOWS[w]);
                            call(cb, a.tpot(), g, "tpot", WINDOWS[w]);
                            call(cb, a.all(), g, "all", WINDOWS[w]);
                        }
                    }
                }).register(registry);
        goodput(registry, view, "llm_metering_goodput_streams_per_second",
                "Streams that left in the window and met all their objectives, per second of the window",
                Insight.Attainment::goodputStreamsPerSecond);
        goodput(registry, view, "llm_metering_goodput_tokens_per_second",
                "Output tokens of the streams that left in the window and met all their objectives, per second of the window",
                Insight.Attainment::goodputTokensPerSecond);
        GaugeWithCallback.builder().name("llm_metering_slo_target_ratio")
                .help("The SLO attainment aimed at (metering.slo.target), a share from 0 to 1")
                .callback(cb -> {
                    for (Insight i : view.insights()) {
                        if (i.group() == Insight.Group.GLOBAL && i.slo() != null) {
                            cb.call(i.slo().target());
                        }
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("llm_metering_slo_objective_seconds")
                .help("Service level objective: ttft (time to first token) or tpot (time per output token); model empty "
                        + "for the default")
                .labelNames("objective", "model").callback(cb -> {
                    for (Insight i : view.insights()) {
                        Insight.Slo slo = i.slo();
                        String model;
                        if (slo == null || i.group() == Insight.Group.TENANT) {
                            continue;
                        } else if (i.group() == Insight.Group.GLOBAL) {
                            model = "";
                        } else if (i.name() == null || i.name().equals("other")) {
                            continue; // the fold: the defaults, published above
                        } else {
                            model = i.name();
                        }
                        if (slo.ttftObjectiveMs() != null) {
                            cb.call(ServeMetrics.seconds(slo.ttftObjectiveMs()), "ttft", model);
                        }
                        if (slo.tpotObjectiveMs() != null) {
                            cb.call(ServeMetrics.seconds(slo.tpotObjectiveMs()), "tpot", model);
                        }
                    }
                }).register(registry);
    }

    private static void call(GaugeWithCallback.Callback cb, Double share, String[] group, String objective, String window) {
        if (share != null) {
            cb.call(share, group[0], group[1], objective, window);
        }
    }

    private static void goodput(PrometheusRegistry registry, MeteringView view, String name, String help,
                                Function<Insight.Attainment, Double> value) {
        GaugeWithCallback.builder().name(name).help(help).labelNames("model", "tenant", "window").callback(cb -> {
            for (Insight i : view.insights()) {
                if (i.slo() == null) {
                    continue;
                }
                String[] g = ServeMetrics.labels(i);
                Insight.Attainment[] windows = {i.slo().lastMinute(), i.slo().lastHour()};
                for (int w = 0; w < 2; w++) {
                    if (windows[w] != null) {
                        cb.call(value.apply(windows[w]), g[0], g[1], WINDOWS[w]);
                    }
                }
            }
        }).register(registry);
    }
}
