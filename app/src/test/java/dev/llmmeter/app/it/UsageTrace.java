package dev.llmmeter.app.it;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * A deterministic trace of LLM streams for reconciling the usage ledger: for a seed, the same streams, events and
 * duplicates every time; only {@code base} (the event time of the first begin) moves with the clock of the run.
 *
 * <p>Event time is compressed: a stream {@code r} ms into the trace (real time, as sent) carries event time
 * {@code base + r × compression}, so with 120 (two minutes a second) a 45 s run spans an hour and a half of
 * minute and hour windows. Streams: tenants t0..t4 or none, models m0..m2 or none; reasoning then output deltas
 * with running counts; about 5% never end (the meter bills them from its running counts once stale); an end
 * carries the required {@code final_output_tokens} (sometimes above the running count: the provider's figure wins)
 * and, on some ends only, {@code input_tokens}, {@code reasoning_tokens} and {@code cached_input_tokens}. About 10%
 * of the ended streams have their end sent twice: half right after the first, half {@link Event#late late}, after
 * the whole trace (and so after every crash and restart a test stages during it).
 */
public final class UsageTrace {
    public static final List<String> TENANTS = List.of("t0", "t1", "t2", "t3", "t4");
    public static final List<String> MODELS = List.of("m0", "m1", "m2");

    /** One delta: {@code kind} is "reasoning" or "output"; {@code running} the running count of that kind. */
    public record Delta(String kind, long ts, long running) {
    }

    /** An end; a null figure is left out of the JSON. */
    public record End(long ts, long finalOutputTokens, Long inputTokens, Long reasoningTokens, Long cachedInputTokens) {
    }

    /** A stream: its begin, its deltas in order and its end (null: never ended). */
    public record Stream(String id, String tenant, String model, long beginTs, List<Delta> deltas, End end) {
        public long runningOutput() {
            return lastRunning("output");
        }

        public long runningReasoning() {
            return lastRunning("reasoning");
        }

        /** Event time of the stream's last event: its end, else its last delta. */
        public long lastTs() {
            return end != null ? end.ts() : deltas.get(deltas.size() - 1).ts();
        }

        private long lastRunning(String kind) {
            long r = 0;
            for (Delta d : deltas) {
                if (d.kind().equals(kind)) {
                    r = d.running();
                }
            }
            return r;
        }
    }

    /**
     * An event as sent: {@code at} ms into the trace (real time), keyed by {@code streamId}; {@code duplicate} for a
     * second copy of an end; {@code late} for the duplicates sent after the trace.
     */
    public record Event(long at, String streamId, String json, boolean duplicate, boolean late) {
    }

    private final List<Stream> streams;
    private final List<Event> events;
    private final long durationMs;

    private UsageTrace(List<Stream> streams, List<Event> events, long durationMs) {
        this.streams = streams;
        this.events = events;
        this.durationMs = durationMs;
    }

    /**
     * @param seed        fixes every choice
     * @param count       streams
     * @param durationMs  real time over which the streams begin (the last ends up to ~1 s later)
     * @param base        event time of the trace's start, epoch ms
     * @param compression event ms per real ms
     */
    public static UsageTrace generate(long seed, int count, long durationMs, long base, long compression) {
        Random rnd = new Random(seed);
        List<Stream> streams = new ArrayList<>(count);
        List<Event> events = new ArrayList<>();
        List<Event> late = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = "u" + seed + "-" + i;
            String tenant = rnd.nextInt(10) == 0 ? null : TENANTS.get(rnd.nextInt(TENANTS.size()));
            String model = rnd.nextInt(10) == 0 ? null : MODELS.get(rnd.nextInt(MODELS.size()));
            long at = i * durationMs / count + rnd.nextInt((int) Math.max(1, durationMs / count));
            events.add(new Event(at, id, begin(id, base + at * compression, tenant, model), false, false));
            long beginTs = base + at * compression;
            List<Delta> deltas = new ArrayList<>();
            long reasoning = 0;
            long output = 0;
            int reasoningDeltas = rnd.nextInt(10) < 4 ? 1 + rnd.nextInt(2) : 0;
            int outputDeltas = 1 + rnd.nextInt(5);
            for (int d = 0; d < reasoningDeltas + outputDeltas; d++) {
                at += 20 + rnd.nextInt(130);
                long ts = base + at * compression;
                Delta delta;
                if (d < reasoningDeltas) {
                    reasoning += 1 + rnd.nextInt(50);
                    delta = new Delta("reasoning", ts, reasoning);
                } else {
                    output += 1 + rnd.nextInt(20);
                    delta = new Delta("output", ts, output);
                }
                deltas.add(delta);
                events.add(new Event(at, id, delta(id, delta), false, false));
            }
            End end = null;
            if (rnd.nextInt(20) != 0) { // about 5% never end
                at += 20 + rnd.nextInt(80);
                long finalOutput = rnd.nextInt(10) < 7 ? output : output + rnd.nextInt(31);
                Long input = rnd.nextInt(10) < 8 ? Long.valueOf(1 + rnd.nextInt(5000)) : null;
                Long reasoningTokens = rnd.nextBoolean() ? Long.valueOf(rnd.nextInt(201)) : null;
                Long cached = rnd.nextInt(10) < 4 ? Long.valueOf(input == null ? rnd.nextInt(100) : rnd.nextLong(input + 1)) : null;
                end = new End(base + at * compression, finalOutput, input, reasoningTokens, cached);
                String json = end(id, end);
                events.add(new Event(at, id, json, false, false));
                int dup = rnd.nextInt(20); // about 10% twice: 0 right after, 1 after the trace
                if (dup == 0) {
                    events.add(new Event(at, id, json, true, false));
                } else if (dup == 1) {
                    late.add(new Event(durationMs + 2_000, id, json, true, true));
                }
            }
            streams.add(new Stream(id, tenant, model, beginTs, List.copyOf(deltas), end));
        }
        // Stable: a stream's events at the same real time keep their order.
        events.sort(Comparator.comparingLong(Event::at));
        events.addAll(late);
        return new UsageTrace(List.copyOf(streams), List.copyOf(events), durationMs);
    }

    public List<Stream> streams() {
        return streams;
    }

    /** Every event in sending order, by {@link Event#at}; the late duplicates last. */
    public List<Event> events() {
        return events;
    }

    public long durationMs() {
        return durationMs;
    }

    /** The latest event time of the trace. */
    public long lastTs() {
        return streams.stream().mapToLong(Stream::lastTs).max().orElseThrow();
    }

    static String begin(String id, long ts, String tenant, String model) {
        StringBuilder b = new StringBuilder("{\"type\":\"begin\",\"stream_id\":\"").append(id).append("\",\"ts\":").append(ts);
        if (model != null) {
            b.append(",\"model\":\"").append(model).append('"');
        }
        if (tenant != null) {
            b.append(",\"tenant\":\"").append(tenant).append('"');
        }
        return b.append('}').toString();
    }

    static String delta(String id, Delta d) {
        return "{\"type\":\"" + d.kind() + "\",\"stream_id\":\"" + id + "\",\"ts\":" + d.ts() + ",\"running\":" + d.running() + "}";
    }

    static String end(String id, End e) {
        StringBuilder b = new StringBuilder("{\"type\":\"end\",\"stream_id\":\"").append(id).append("\",\"ts\":").append(e.ts())
                .append(",\"final_output_tokens\":").append(e.finalOutputTokens());
        if (e.inputTokens() != null) {
            b.append(",\"input_tokens\":").append(e.inputTokens());
        }
        if (e.reasoningTokens() != null) {
            b.append(",\"reasoning_tokens\":").append(e.reasoningTokens());
        }
        if (e.cachedInputTokens() != null) {
            b.append(",\"cached_input_tokens\":").append(e.cachedInputTokens());
        }
        return b.append('}').toString();
    }
}
