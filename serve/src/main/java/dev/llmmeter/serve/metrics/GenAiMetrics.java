package dev.llmmeter.serve.metrics;

import dev.llmmeter.contract.StreamStatus;
import dev.llmmeter.serve.usage.UsageLedgerView;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * OpenTelemetry's GenAI semantic conventions as histograms, fed by the topology's final stream records
 * ({@code metering.streams}, the record whose state is ended, stale or expired): every partition, so global
 * across the topology's instances. Named as OpenTelemetry's Prometheus translation names them (dots to
 * underscores, the unit {@code s} as {@code _seconds}, an annotation unit such as {@code {token}} dropped), with the
 * conventions' advised bucket boundaries:
 * <ul>
 *   <li>{@code gen_ai_server_time_to_first_token_seconds{gen_ai_request_model,tenant}}
 *       ({@code gen_ai.server.time_to_first_token}): the TTFT of each stream that ended (the conventions count
 *       successful responses: a stale or expired stream adds none), none for a stream without output;</li>
 *   <li>{@code gen_ai_server_time_per_output_token_seconds{gen_ai_request_model,tenant}}
 *       ({@code gen_ai.server.time_per_output_token}): the time per output token of each stream that ended, as the
 *       record's {@code tpot_ms} gives it (the insights' TPOT: its output decode time over its output tokens - 1),
 *       none for a stream without one (fewer than 2 output tokens);</li>
 *   <li>{@code gen_ai_client_token_usage{gen_ai_request_model,gen_ai_token_type,tenant}}
 *       ({@code gen_ai.client.token.usage}): each final stream's output tokens (its output plus reasoning counts,
 *       as providers bill reasoning as output) under {@code gen_ai_token_type="output"}, and each ended stream's
 *       input tokens (its end's, as billed) under {@code gen_ai_token_type="input"}.</li>
 * </ul>
 *
 * <p>Each stream counts once: a final record read again (at-least-once delivery, a repeated final) is told apart by
 * its stream id among the last {@code maxIds} final stream ids; an id pushed out of that memory is counted in
 * {@code llm_metering_serve_genai_forgotten_stream_ids_total}, and a repeat of it would count again. Records the
 * feed reads as history (written before this server started) are remembered but not counted: a restarted server
 * begins at zero, as a Prometheus counter does, instead of counting the past hour again.
 *
 * <p>At most {@code maxLabelPairs} (model, tenant) pairs, as for the usage counters; any further pair is counted
 * under model and tenant {@value UsageLedgerView#OTHER}. A model or tenant the stream did not name is {@code "null"}.
 */
public final class GenAiMetrics {
    /** {@code gen_ai.server.time_to_first_token}'s advised explicit bucket boundaries, in seconds. */
    public static final double[] TTFT_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0,
            2.5, 5.0, 7.5, 10.0};
    /** {@code gen_ai.server.time_per_output_token}'s advised explicit bucket boundaries, in seconds. */
    public static final double[] TPOT_BUCKETS = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5};
    /** {@code gen_ai.client.token.usage}'s advised explicit bucket boundaries, in tokens. */
    public static final double[] TOKEN_BUCKETS = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
            16777216, 67108864};
    /** An OpenTelemetry metric name and unit. */
    public record OtelName(String name, String unit) {
    }

    /**
     * The conventions' names and units of these histograms, by Prometheus name: what the OTLP push sends them as, which
     * OpenTelemetry's Prometheus translation turns back into the names here.
     */
    public static final java.util.Map<String, OtelName> OTEL_NAMES = java.util.Map.of(
            "gen_ai_server_time_to_first_token_seconds", new OtelName("gen_ai.server.time_to_first_token", "s"),
            "gen_ai_server_time_per_output_token_seconds", new OtelName("gen_ai.server.time_per_output_token", "s"),
            "gen_ai_client_token_usage", new OtelName("gen_ai.client.token.usage", "{token}"));
    /** The conventions' attribute names, by label. */
    public static final java.util.Map<String, String> OTEL_ATTRIBUTES = java.util.Map.of(
            "gen_ai_request_model", "gen_ai.request.model", "gen_ai_token_type", "gen_ai.token.type");
    /** Final stream ids remembered to count each stream once (~15 MB at most). */
    public static final int DEFAULT_MAX_IDS = 100_000;

    private final Histogram ttft;
    private final Histogram tpot;
    private final Histogram tokens;
    private final int maxIds;
    private final int maxLabelPairs;
    /** Insertion order: the head is the final record seen longest ago. */
    private final LinkedHashSet<String> counted = new LinkedHashSet<>();
    private final Set<List<String>> pairs = new HashSet<>();
    private final AtomicLong forgottenIds = new AtomicLong();
    private final AtomicLong repeats = new AtomicLong();

    public GenAiMetrics(PrometheusRegistry registry) {
        this(registry, DEFAULT_MAX_IDS, UsageLedgerView.DEFAULT_MAX_LABEL_PAIRS);
    }

    public GenAiMetrics(PrometheusRegistry registry, int maxIds, int maxLabelPairs) {
        this.maxIds = maxIds;
        this.maxLabelPairs = maxLabelPairs;
        this.ttft = Histogram.builder().name("gen_ai_server_time_to_first_token_seconds").unit(Unit.SECONDS)
                .help("Time to first token of each stream that ended (begin to first delta, event time): OpenTelemetry's "
                        + "gen_ai.server.time_to_first_token")
                .labelNames("gen_ai_request_model", "tenant").classicOnly().classicUpperBounds(TTFT_BUCKETS).register(registry);
        this.tpot = Histogram.builder().name("gen_ai_server_time_per_output_token_seconds").unit(Unit.SECONDS)
                .help("Time per output token of each stream that ended (first to last output delta, event time, over "
                        + "output tokens - 1): OpenTelemetry's gen_ai.server.time_per_output_token")
                .labelNames("gen_ai_request_model", "tenant").classicOnly().classicUpperBounds(TPOT_BUCKETS).register(registry);
        this.tokens = Histogram.builder().name("gen_ai_client_token_usage")
                .help("Output tokens (output plus reasoning) of each stream that ended, went stale or expired, and input "
                        + "tokens of each that ended: OpenTelemetry's gen_ai.client.token.usage")
                .labelNames("gen_ai_request_model", "gen_ai_token_type", "tenant").classicOnly()
                .classicUpperBounds(TOKEN_BUCKETS).register(registry);
        CounterWithCallback.builder().name("llm_metering_serve_genai_forgotten_stream_ids")
                .help("Final stream ids the gen_ai histograms forgot to stay within their bound (a repeat of one would count again)")
                .callback(cb -> cb.call(forgottenIds.get())).register(registry);
        CounterWithCallback.builder().name("llm_metering_serve_genai_repeated_final_records")
                .help("Final stream records the gen_ai histograms skipped as repeats of a stream already counted")
                .callback(cb -> cb.call(repeats.get())).register(registry);
    }

    /**
     * A {@code metering.streams} record.
     *
     * @param history true for a record written before this server started (remembered, not counted)
     * @return true when it was counted
     */
    public synchronized boolean offer(StreamStatus s, boolean history) {
        if (s.state() == StreamStatus.State.ACTIVE) {
            return false;
        }
        if (!counted.add(s.streamId())) {
            if (!history) {
                repeats.incrementAndGet();
            }
            return false;
        }
        forgetBeyondBound();
        if (history) {
            return false;
        }
        String[] pair = pair(s);
        boolean ended = s.state() == StreamStatus.State.ENDED;
        if (ended && s.ttftMs() != null) {
            ttft.labelValues(pair[0], pair[1]).observe(ServeMetrics.seconds(s.ttftMs()));
        }
        if (ended && s.tpotMs() != null) {
            tpot.labelValues(pair[0], pair[1]).observe(ServeMetrics.seconds(s.tpotMs()));
        }
        tokens.labelValues(pair[0], "output", pair[1]).observe(s.output() + s.reasoning());
        if (ended && s.input() != null) {
            tokens.labelValues(pair[0], "input", pair[1]).observe(s.input());
        }
        return true;
    }

    public long forgottenIds() {
        return forgottenIds.get();
    }

    public long repeats() {
        return repeats.get();
    }

    private void forgetBeyondBound() {
        Iterator<String> it = counted.iterator();
        while (counted.size() > maxIds) {
            it.next();
            it.remove();
            forgottenIds.incrementAndGet();
        }
    }

    /** {model, tenant} as labels, folded into {@code other} beyond the bound of pairs. */
    private String[] pair(StreamStatus s) {
        List<String> p = List.of(s.model() == null ? "null" : s.model(), s.tenant() == null ? "null" : s.tenant());
        if (!pairs.contains(p)) {
            if (pairs.size() >= maxLabelPairs) {
                return new String[]{UsageLedgerView.OTHER, UsageLedgerView.OTHER};
            }
            pairs.add(p);
        }
        return p.toArray(String[]::new);
    }
}
