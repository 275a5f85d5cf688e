package dev.llmmeter.sim;

import dev.llmmeter.contract.DeltaEvent;

import java.util.Comparator;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * A deterministic, streaming generator of LLM streaming traffic: {@link DeltaEvent}s in non-decreasing
 * {@code ts} order, computed one at a time. Memory is O(N): one entry per live stream in a priority queue
 * ordered by (next event time, insertion order).
 *
 * <h2>The traffic</h2>
 * There are N slots. Each slot runs streams back to back: when its stream finishes, the slot's next
 * stream begins in the same millisecond, as long as that is before {@link SimulationConfig#endEpochMs()};
 * so exactly N streams are live from the end of the initial stagger until the duration ends. A slot's
 * first stream begins at start + a uniform draw within [0, min(S s, {@value #MAX_STAGGER_MS} ms)), so the
 * streams do not all start at once. No stream begins at or after the end; there, every live stream
 * is cut: it sends {@code end} with ts = the end time and its output count so far, unless it was to be
 * abandoned (it just stops) or never fed (it stays so). So the last event is at the end time at the
 * latest. Each stream, numbered n = 1, 2, ... in the order it is created, with id
 * {@code sim-<seed>-<n>}:
 * <ol>
 *   <li>{@code begin};</li>
 *   <li>after a time to first delta, uniform in [{@value #MIN_FIRST_DELTA_MS}, {@value #MAX_FIRST_DELTA_MS}] ms,
 *       with probability {@code reasoningFraction} a reasoning phase of
 *       [{@value #MIN_REASONING_DELTAS}, {@value #MAX_REASONING_DELTAS}] reasoning deltas (running 1, 2, 3, ...);</li>
 *   <li>[{@value #MIN_OUTPUT_DELTAS}, {@value #MAX_OUTPUT_DELTAS}] output deltas (running 1, 2, 3, ...); between
 *       the phases one gap plus a thinking pause of jitter x uniform [0, {@value #MAX_THINK_PAUSE_MS}] ms;</li>
 *   <li>{@code end}, jitter x uniform [0, {@value #MAX_END_DELAY_MS}] ms after the last output delta, with
 *       {@code final_output_tokens} = the output count and {@code input_tokens} log-uniform in
 *       [{@value #MIN_INPUT_TOKENS}, {@value #MAX_INPUT_TOKENS}].</li>
 * </ol>
 * A stream is never fed with probability {@code neverFedFraction}: it sends its {@code begin} only and
 * frees its slot when its first delta would have come. It is abandoned with probability
 * {@code abandonedFraction}: it stops after a uniform draw within [1, all its deltas - 1] deltas (possibly
 * in its reasoning phase), sends no {@code end}, and frees its slot at its last delta.
 *
 * <h2>Models and tenants</h2>
 * With {@link SimulationConfig#models()} set, each stream also draws (after all the draws above, so the plain
 * traffic of a seed is unchanged) a model, uniformly: its {@code begin} names it, its rate is the model's
 * {@link ModelProfile#deltasPerSecond()} instead of R (jittered the same way), its time to first delta is uniform
 * in the model's range, and each delta raises the running count by 1 to {@link ModelProfile#maxTokensPerDelta()}
 * (uniform), as servers that batch tokens into chunks do. With {@link SimulationConfig#tenants()} set, each stream
 * names a tenant drawn uniformly.
 *
 * <h2>Delta times</h2>
 * A stream's rate is R x (1 + jitter x u), u uniform in [-0.5, 0.5), so its mean gap is
 * g = 1000 / rate ms. Each gap is g x ((1 - jitter) + jitter x E), E exponential with mean 1. Within a
 * phase, delta k (k = 0, 1, ...) is at {@code phaseStart + Math.round(elapsed_k)}, elapsed_k being the
 * exact (double) sum of the first k gaps: rounding never accumulates. With jitter 0, elapsed_k is
 * computed as k x 1000 / R, so {@code ts_k - ts_0 == Math.round(k * 1000.0 / R)}: every gap is exactly
 * 1000/R ms when that is a whole number, and otherwise floor or ceil of it with no drift.
 *
 * <h2>Determinism</h2>
 * Stream n draws everything from its own {@link SplittableRandom}, seeded by a hash of (seed, n). Its shape
 * (kind, lengths, rate, ...) is drawn up front, always the same draws in the same order whether or not
 * one is used; so a stream's shape does not depend on the other streams, and the fractions change which
 * streams fail, not the others' shapes. Ties in time are broken by
 * insertion order; transcendental functions come from {@link StrictMath}. Same config, same events, on any
 * JVM.
 *
 * <p>Not thread-safe. {@link #liveStreams()} and the counters describe the state right after the last
 * event returned by {@link #next()}.
 */
public final class TrafficGenerator implements Iterator<DeltaEvent> {
    public static final long MAX_STAGGER_MS = 5_000;
    public static final int MIN_FIRST_DELTA_MS = 200;
    public static final int MAX_FIRST_DELTA_MS = 2_000;
    public static final int MIN_REASONING_DELTAS = 20;
    public static final int MAX_REASONING_DELTAS = 400;
    public static final int MIN_OUTPUT_DELTAS = 50;
    public static final int MAX_OUTPUT_DELTAS = 800;
    public static final int MAX_THINK_PAUSE_MS = 1_000;
    public static final int MAX_END_DELAY_MS = 300;
    public static final int MIN_INPUT_TOKENS = 20;
    public static final int MAX_INPUT_TOKENS = 8_000;

    private static final double LN_INPUT_RANGE = StrictMath.log((double) MAX_INPUT_TOKENS / MIN_INPUT_TOKENS);
    /** Time order; ties in insertion order (seq is unique). */
    private static final Comparator<Stream> ORDER = (a, b) -> a.nextTs != b.nextTs
            ? Long.compare(a.nextTs, b.nextTs) : Long.compare(a.seq, b.seq);

    private final SimulationConfig config;
    private final double jitter;
    private final long endMs;
    private final PriorityQueue<Stream> queue;
    private long nextStreamNumber = 1;
    private long seq;
    private DeltaEvent pending;

    private int live;
    private long begun;
    private long ended;
    private long abandoned;
    private long neverFed;

    public TrafficGenerator(SimulationConfig config) {
        this.config = config;
        this.jitter = config.jitter();
        this.endMs = config.endEpochMs();
        this.queue = new PriorityQueue<>(config.streams(), ORDER);
        long staggerMs = Math.min(config.durationSeconds() * 1000, MAX_STAGGER_MS);
        for (int slot = 0; slot < config.streams(); slot++) {
            Stream s = newStream();
            s.nextTs = config.startEpochMs() + (long) (s.staggerU * staggerMs);
            push(s);
        }
    }

    public SimulationConfig config() {
        return config;
    }

    @Override
    public boolean hasNext() {
        if (pending == null) {
            pending = produce();
        }
        return pending != null;
    }

    @Override
    public DeltaEvent next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the simulation is over");
        }
        DeltaEvent e = pending;
        pending = null;
        return e;
    }

    /** Streams begun and not yet finished (ended, abandoned at their last delta, or given up unfed). */
    public int liveStreams() {
        return live;
    }

    public long streamsBegun() {
        return begun;
    }

    public long streamsEnded() {
        return ended;
    }

    public long streamsAbandoned() {
        return abandoned;
    }

    public long streamsNeverFed() {
        return neverFed;
    }

    private DeltaEvent produce() {
        Stream s;
        while ((s = queue.poll()) != null) {
            long t = s.nextTs;
            if (t >= endMs && s.step != Step.BEGIN && s.step != Step.GIVE_UP) {
                DeltaEvent cut = cut(s);
                if (cut != null) {
                    return cut;
                }
                continue;
            }
            switch (s.step) {
                case BEGIN -> {
                    live++;
                    begun++;
                    if (s.kind == Kind.NEVER_FED) {
                        s.step = Step.GIVE_UP;
                        s.nextTs = t + s.firstDeltaMs;
                    } else {
                        s.startPhase(s.reasoningTotal > 0 ? Step.REASONING : Step.OUTPUT, t + s.firstDeltaMs);
                    }
                    push(s);
                    return DeltaEvent.begin(s.id, t, s.model, s.tenant);
                }
                case REASONING -> {
                    s.reasoning++;
                    s.reasoningTokens += s.tokensOfDelta();
                    DeltaEvent e = DeltaEvent.reasoning(s.id, t, s.reasoningTokens);
                    afterDelta(s, t);
                    return e;
                }
                case OUTPUT -> {
                    s.output++;
                    s.outputTokens += s.tokensOfDelta();
                    DeltaEvent e = DeltaEvent.output(s.id, t, s.outputTokens);
                    afterDelta(s, t);
                    return e;
                }
                case END -> {
                    ended++;
                    free(t);
                    return DeltaEvent.end(s.id, t, s.outputTokens, s.inputTokens);
                }
                case GIVE_UP -> {
                    neverFed++;
                    free(t);
                }
            }
        }
        return null;
    }

    /**
     * The duration is over and {@code s} is still live: it ends now, at the end time (an abandoned-to-be
     * stream just stops). Every event before has ts &lt; the end time, so the order holds.
     */
    private DeltaEvent cut(Stream s) {
        live--;
        if (s.kind == Kind.ABANDONED) {
            if (s.reasoning + s.output == 0) {
                neverFed++;
            } else {
                abandoned++;
            }
            return null;
        }
        ended++;
        return DeltaEvent.end(s.id, endMs, s.outputTokens, s.inputTokens);
    }

    /** Schedules what follows the delta just sent at {@code t}. */
    private void afterDelta(Stream s, long t) {
        if (s.reasoning + s.output == s.stopAfter) {
            abandoned++;
            free(t);
            return;
        }
        if (s.step == Step.REASONING && s.reasoning == s.reasoningTotal) {
            long pause = Math.round(s.gap() + jitter * s.rnd.nextDouble() * MAX_THINK_PAUSE_MS);
            s.startPhase(Step.OUTPUT, t + pause);
        } else if (s.step == Step.OUTPUT && s.output == s.outputTotal) {
            s.step = Step.END;
            s.nextTs = t + Math.round(jitter * s.rnd.nextDouble() * MAX_END_DELAY_MS);
        } else {
            s.k++;
            s.elapsed = jitter == 0 ? s.k * s.meanGapMs : s.elapsed + s.gap();
            s.nextTs = s.phaseStart + Math.round(s.elapsed);
        }
        push(s);
    }

    /** A stream finished at {@code t}: its slot's next stream begins then, unless the duration is over. */
    private void free(long t) {
        live--;
        if (t < endMs) {
            Stream next = newStream();
            next.nextTs = t;
            push(next);
        }
    }

    private void push(Stream s) {
        s.seq = seq++;
        queue.add(s);
    }

    private Stream newStream() {
        long n = nextStreamNumber++;
        return new Stream("sim-" + config.seed() + "-" + n, new SplittableRandom(mix(config.seed(), n)), config);
    }

    /** A well-spread seed for stream n (SplitMix64's finalizer over both inputs). */
    static long mix(long seed, long n) {
        long z = seed * 0x9E3779B97F4A7C15L + n * 0xC2B2AE3D27D4EB4FL + 0x165667B19E3779F9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private enum Kind { NORMAL, ABANDONED, NEVER_FED }

    private enum Step { BEGIN, REASONING, OUTPUT, END, GIVE_UP }

    /** One stream: its drawn shape, and where it is. */
    private static final class Stream {
        final String id;
        final SplittableRandom rnd;
        final double jitter;
        final Kind kind;
        final int firstDeltaMs;
        /** The model and tenant its begin names (null in the plain traffic), and its most tokens per delta. */
        final String model;
        final String tenant;
        final int maxTokensPerDelta;
        final int reasoningTotal;
        final int outputTotal;
        final double meanGapMs;
        final long inputTokens;
        /** Deltas after which an abandoned stream stops; -1 for the others. */
        final int stopAfter;
        final double staggerU;

        Step step = Step.BEGIN;
        long nextTs;
        long seq;
        int reasoning;
        int output;
        /** The running counts: deltas x their tokens (equal to the delta counts in the plain traffic). */
        long reasoningTokens;
        long outputTokens;
        long phaseStart;
        int k;
        double elapsed;

        Stream(String id, SplittableRandom rnd, SimulationConfig c) {
            this.id = id;
            this.rnd = rnd;
            this.jitter = c.jitter();
            // Every draw happens, in this order, whatever the config: see the class comment.
            double kindU = rnd.nextDouble();
            int firstDrawn = MIN_FIRST_DELTA_MS + rnd.nextInt(MAX_FIRST_DELTA_MS - MIN_FIRST_DELTA_MS + 1);
            boolean reasons = rnd.nextDouble() < c.reasoningFraction();
            int reasoningDrawn = MIN_REASONING_DELTAS + rnd.nextInt(MAX_REASONING_DELTAS - MIN_REASONING_DELTAS + 1);
            this.reasoningTotal = reasons ? reasoningDrawn : 0;
            this.outputTotal = MIN_OUTPUT_DELTAS + rnd.nextInt(MAX_OUTPUT_DELTAS - MIN_OUTPUT_DELTAS + 1);
            double spread = 1 + jitter * (rnd.nextDouble() - 0.5);
            this.inputTokens = Math.round(MIN_INPUT_TOKENS * StrictMath.exp(rnd.nextDouble() * LN_INPUT_RANGE));
            double stopU = rnd.nextDouble();
            this.staggerU = rnd.nextDouble();
            // The fleet's draws come last: the plain traffic (no models, no tenants) draws exactly what it always did.
            ModelProfile profile = c.models().isEmpty() ? null : c.models().get(rnd.nextInt(c.models().size()));
            this.tenant = c.tenants().isEmpty() ? null : c.tenants().get(rnd.nextInt(c.tenants().size()));
            if (profile == null) {
                this.model = null;
                this.firstDeltaMs = firstDrawn;
                this.meanGapMs = jitter == 0 ? c.meanGapMs() : 1000.0 / (c.ratePerSecond() * spread);
                this.maxTokensPerDelta = 1;
            } else {
                this.model = profile.name();
                this.firstDeltaMs = profile.minTtftMs() + rnd.nextInt(profile.maxTtftMs() - profile.minTtftMs() + 1);
                this.meanGapMs = 1000.0 / (profile.deltasPerSecond() * spread);
                this.maxTokensPerDelta = profile.maxTokensPerDelta();
            }

            if (kindU < c.neverFedFraction()) {
                this.kind = Kind.NEVER_FED;
            } else if (kindU < c.neverFedFraction() + c.abandonedFraction()) {
                this.kind = Kind.ABANDONED;
            } else {
                this.kind = Kind.NORMAL;
            }
            int deltas = reasoningTotal + outputTotal;
            this.stopAfter = kind == Kind.ABANDONED ? 1 + (int) (stopU * (deltas - 1)) : -1;
        }

        /** How many tokens the next delta carries: 1 in the plain traffic (no draw), else 1..the model's most. */
        int tokensOfDelta() {
            return maxTokensPerDelta == 1 ? 1 : 1 + rnd.nextInt(maxTokensPerDelta);
        }

        void startPhase(Step phase, long at) {
            step = phase;
            phaseStart = at;
            nextTs = at;
            k = 0;
            elapsed = 0;
        }

        /** One inter-delta gap, ms: g x ((1 - jitter) + jitter x Exp(1)). */
        double gap() {
            double e = -StrictMath.log(1.0 - rnd.nextDouble());
            return meanGapMs * ((1 - jitter) + jitter * e);
        }
    }
}
