package dev.llmmeter.serve.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Kafka's own metrics (a {@code KafkaStreams}, producer or consumer in this process) as Prometheus
 * families {@code kafka_<group>_<name>}, tags as labels; {@code -total} metrics as counters. Only what
 * is numeric is exposed. Serve depends on kafka-clients only: {@code KafkaStreams.metrics()} has this type.
 */
final class KafkaMetricsCollector implements MultiCollector {
    private final Supplier<Map<MetricName, ? extends Metric>> source;

    KafkaMetricsCollector(Supplier<Map<MetricName, ? extends Metric>> source) {
        this.source = source;
    }

    private record Point(Labels labels, double value) {
    }

    @Override
    public MetricSnapshots collect() {
        Map<String, List<Point>> gauges = new TreeMap<>();
        Map<String, List<Point>> counters = new TreeMap<>();
        Map<String, String> help = new TreeMap<>();
        for (Map.Entry<MetricName, ? extends Metric> e : source.get().entrySet()) {
            Object value;
            try {
                value = e.getValue().metricValue();
            } catch (RuntimeException ex) {
                continue;
            }
            if (!(value instanceof Number n)) {
                continue;
            }
            MetricName m = e.getKey();
            String raw = "kafka_" + m.group().replace("-metrics", "") + "_" + m.name();
            boolean counter = m.name().endsWith("-total");
            String family = PrometheusNaming.sanitizeMetricName(counter ? raw.substring(0, raw.length() - "-total".length()) : raw);
            List<String> names = new ArrayList<>();
            List<String> values = new ArrayList<>();
            new TreeMap<>(m.tags()).forEach((k, v) -> {
                names.add(PrometheusNaming.sanitizeLabelName(k));
                values.add(v);
            });
            Labels labels = Labels.of(names, values);
            (counter ? counters : gauges).computeIfAbsent(family, k -> new ArrayList<>()).add(new Point(labels, n.doubleValue()));
            help.putIfAbsent(family, m.description());
        }
        List<MetricSnapshot> out = new ArrayList<>();
        Set<String> families = new HashSet<>();
        counters.forEach((family, points) -> {
            if (families.add(family)) {
                CounterSnapshot.Builder b = CounterSnapshot.builder().name(family).help(help.get(family));
                distinct(points).forEach(p -> b.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                        .labels(p.labels()).value(Math.max(0, p.value())).build()));
                out.add(b.build());
            }
        });
        gauges.forEach((family, points) -> {
            if (families.add(family)) {
                GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(family).help(help.get(family));
                distinct(points).forEach(p -> b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                        .labels(p.labels()).value(p.value()).build()));
                out.add(b.build());
            }
        });
        return new MetricSnapshots(out);
    }

    /** Two Kafka metrics can sanitize to one name and labels; Prometheus allows each series once. */
    private static List<Point> distinct(List<Point> points) {
        Set<Labels> seen = new HashSet<>();
        return points.stream().filter(p -> seen.add(p.labels())).toList();
    }
}
