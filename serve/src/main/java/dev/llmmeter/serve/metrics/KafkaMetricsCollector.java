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
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Kafka's own metrics (a {@code KafkaStreams}, producer or consumer in this process) as Prometheus families
 * {@code kafka_<group>_<name>}, tags as labels, named as Prometheus' linter ({@code promtool check metrics})
 * accepts: {@link #translate}. Only what is numeric is exposed. Serve depends on kafka-clients only:
 * {@code KafkaStreams.metrics()} has this type.
 */
final class KafkaMetricsCollector implements MultiCollector {
    /** Kafka's abbreviated time units in metric names, and what one of each is in seconds. */
    private static final Map<String, Double> TIME_UNITS = Map.of("ms", 1e-3, "us", 1e-6, "ns", 1e-9);

    private final Supplier<Map<MetricName, ? extends Metric>> source;

    KafkaMetricsCollector(Supplier<Map<MetricName, ? extends Metric>> source) {
        this.source = source;
    }

    /**
     * A Kafka metric's Prometheus family.
     *
     * @param family  the name without the {@code _total} the client library adds to a counter
     * @param counter Kafka's {@code -total} metrics: cumulative
     * @param scale   what the value is multiplied by: a time in ms, us or ns becomes seconds
     */
    record Family(String family, boolean counter, double scale) {
    }

    /**
     * Kafka's {@code group}/{@code name} as a Prometheus family, by four rules:
     * <ul>
     * <li>{@code kafka_} + the group without its {@code -metrics} suffix + the name, dashes as underscores
     *     ({@code stream-thread-metrics}/{@code process-rate}: {@code kafka_stream_thread_process_rate}); a group that
     *     already starts with {@code kafka} gets no second prefix ({@code kafka-metrics-count}: {@code kafka_metrics_...});</li>
     * <li>a name ending in {@code -total} is a counter: {@code kafka_..._total} ({@code process-total});</li>
     * <li>a time in an abbreviated unit ({@code -ms}, {@code -us}, {@code -ns}) is in seconds, the unit last, before
     *     a counter's {@code _total} ({@code io-time-ns-total}: {@code kafka_consumer_io_time_seconds_total},
     *     {@code io-wait-time-ns-avg}: {@code kafka_consumer_io_wait_time_avg_seconds},
     *     {@code start-time-ms}: {@code kafka_app_info_start_time_seconds});</li>
     * <li>a gauge ending in {@code -count} (a number of things now, not a summary's count) is named by the things it
     *     counts ({@code connection-count}: {@code kafka_consumer_connections}, {@code active-buffer-count}:
     *     {@code kafka_stream_task_active_buffers}, {@code kafka-metrics-count}/{@code count}: {@code kafka_metrics}).</li>
     * </ul>
     * Kafka's names without a unit (its {@code -latency-avg} in ms, some state-store latencies in ns) keep Kafka's
     * unit: nothing in the name says which.
     */
    static Family translate(MetricName m) {
        String group = m.group().endsWith("-metrics") ? m.group().substring(0, m.group().length() - "-metrics".length()) : m.group();
        String raw = (group.startsWith("kafka") ? "" : "kafka-") + group + "-" + m.name();
        List<String> tokens = new ArrayList<>(Arrays.asList(raw.toLowerCase(java.util.Locale.ROOT).split("[^a-z0-9]+")));
        tokens.removeIf(String::isEmpty);
        boolean counter = tokens.get(tokens.size() - 1).equals("total");
        if (counter) {
            tokens.remove(tokens.size() - 1);
        }
        double scale = 1.0;
        for (int i = 0; i < tokens.size(); i++) {
            Double seconds = TIME_UNITS.get(tokens.get(i));
            if (seconds != null) {
                scale = seconds;
                tokens.remove(i);
                break;
            }
        }
        if (!counter && tokens.size() > 2 && tokens.get(tokens.size() - 1).equals("count")) {
            while (tokens.size() > 2 && tokens.get(tokens.size() - 1).equals("count")) {
                tokens.remove(tokens.size() - 1);
            }
            String things = tokens.get(tokens.size() - 1);
            tokens.set(tokens.size() - 1, things.endsWith("s") ? things : things + "s");
        }
        if (scale != 1.0) {
            tokens.add("seconds");
        }
        return new Family(PrometheusNaming.sanitizeMetricName(String.join("_", tokens)), counter, scale);
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
            Family f = translate(m);
            List<String> names = new ArrayList<>();
            List<String> values = new ArrayList<>();
            new TreeMap<>(m.tags()).forEach((k, v) -> {
                names.add(PrometheusNaming.sanitizeLabelName(k));
                values.add(v);
            });
            Labels labels = Labels.of(names, values);
            (f.counter() ? counters : gauges).computeIfAbsent(f.family(), k -> new ArrayList<>())
                    .add(new Point(labels, n.doubleValue() * f.scale()));
            help.putIfAbsent(f.family(), help(m, f));
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

    /** Kafka's description, never empty (the linter asks for help text), and Kafka's own name and unit when renamed. */
    static String help(MetricName m, Family f) {
        String description = m.description() == null || m.description().isBlank()
                ? "Kafka's " + m.group() + " metric " + m.name()
                : m.description().strip();
        return f.scale() == 1.0 ? description : description + " (Kafka's " + m.name() + ", here in seconds)";
    }

    /** Two Kafka metrics can sanitize to one name and labels; Prometheus allows each series once. */
    private static List<Point> distinct(List<Point> points) {
        Set<Labels> seen = new HashSet<>();
        return points.stream().filter(p -> seen.add(p.labels())).toList();
    }
}
