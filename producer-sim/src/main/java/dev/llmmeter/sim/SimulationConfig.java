package dev.llmmeter.sim;

/**
 * What to simulate. The same config (seed and start time included) always gives the same events.
 *
 * @param streams           N: how many streams are live at once while the simulation runs
 * @param ratePerSecond     R: the mean delta rate of one stream, deltas per second
 * @param durationSeconds   S: streams begin during the first S seconds; at S the live ones end (see
 *                          {@link TrafficGenerator}), so no event is later than start + S
 * @param seed              K: the random seed; also part of every stream id ({@code sim-<seed>-<n>})
 * @param startEpochMs      the simulation's time zero, epoch ms: every {@code ts} is at or after it
 * @param jitter            0..1. At 0 every stream delivers exactly R deltas/s, one every 1000/R ms
 *                          (see {@link TrafficGenerator} for the rounding); at 1 a stream's rate is drawn
 *                          uniformly within R +-50% and its inter-delta gaps are exponential (a Poisson
 *                          process). In between, both spreads scale linearly.
 * @param abandonedFraction the share of streams that get some deltas, then stop without an {@code end}
 * @param neverFedFraction  the share of streams that get a {@code begin} and nothing else
 * @param reasoningFraction the share of streams with a reasoning phase before their output
 * @param models            the models streams are served by (each stream draws one: its pace, time to first delta
 *                          and tokens per delta replace R, the default first-delta range and 1), or empty for
 *                          the plain traffic: no model, no tenant, one token per delta at rate R
 * @param tenants           the tenants streams are spread over (uniformly); empty for none
 */
public record SimulationConfig(int streams, double ratePerSecond, long durationSeconds, long seed,
                               long startEpochMs, double jitter, double abandonedFraction,
                               double neverFedFraction, double reasoningFraction,
                               java.util.List<ModelProfile> models, java.util.List<String> tenants) {

    /** The lowest rate: one delta per 100 s. */
    public static final double MIN_RATE = 0.01;
    public static final double DEFAULT_JITTER = 1.0;
    public static final double DEFAULT_ABANDONED_FRACTION = 0.03;
    public static final double DEFAULT_NEVER_FED_FRACTION = 0.02;
    public static final double DEFAULT_REASONING_FRACTION = 0.30;

    public SimulationConfig {
        if (streams <= 0) {
            throw new IllegalArgumentException("streams must be positive, got " + streams);
        }
        if (!(ratePerSecond >= MIN_RATE) || Double.isInfinite(ratePerSecond)) {
            throw new IllegalArgumentException("rate must be a number of at least " + MIN_RATE
                    + " deltas/s, got " + ratePerSecond);
        }
        if (durationSeconds <= 0) {
            throw new IllegalArgumentException("duration must be positive, got " + durationSeconds);
        }
        if (startEpochMs < 0) {
            throw new IllegalArgumentException("start must not be negative, got " + startEpochMs);
        }
        // The end of the simulation plus the longest possible tail must fit in a long.
        if (durationSeconds > (Long.MAX_VALUE / 4 - startEpochMs) / 1000) {
            throw new IllegalArgumentException("duration is too long: " + durationSeconds + " s");
        }
        requireShare("jitter", jitter);
        requireShare("abandoned fraction", abandonedFraction);
        requireShare("never-fed fraction", neverFedFraction);
        requireShare("reasoning fraction", reasoningFraction);
        models = models == null ? java.util.List.of() : java.util.List.copyOf(models);
        tenants = tenants == null ? java.util.List.of() : java.util.List.copyOf(tenants);
        for (String t : tenants) {
            if (t.isEmpty() || t.length() > 256) {
                throw new IllegalArgumentException("tenant names must be 1-256 characters, got \"" + t + "\"");
            }
        }
        if (abandonedFraction + neverFedFraction > 1.0) {
            throw new IllegalArgumentException("abandoned + never-fed fractions must not exceed 1, got "
                    + abandonedFraction + " + " + neverFedFraction);
        }
    }

    /** The defaults: full jitter, 3% abandoned, 2% never fed, 30% with reasoning. */
    public static SimulationConfig of(int streams, double ratePerSecond, long durationSeconds, long seed,
                                      long startEpochMs) {
        return new SimulationConfig(streams, ratePerSecond, durationSeconds, seed, startEpochMs, DEFAULT_JITTER,
                DEFAULT_ABANDONED_FRACTION, DEFAULT_NEVER_FED_FRACTION, DEFAULT_REASONING_FRACTION, java.util.List.of(), java.util.List.of());
    }

    public SimulationConfig withJitter(double value) {
        return new SimulationConfig(streams, ratePerSecond, durationSeconds, seed, startEpochMs, value,
                abandonedFraction, neverFedFraction, reasoningFraction, models, tenants);
    }

    public SimulationConfig withAbandonedFraction(double value) {
        return new SimulationConfig(streams, ratePerSecond, durationSeconds, seed, startEpochMs, jitter,
                value, neverFedFraction, reasoningFraction, models, tenants);
    }

    public SimulationConfig withNeverFedFraction(double value) {
        return new SimulationConfig(streams, ratePerSecond, durationSeconds, seed, startEpochMs, jitter,
                abandonedFraction, value, reasoningFraction, models, tenants);
    }

    public SimulationConfig withReasoningFraction(double value) {
        return new SimulationConfig(streams, ratePerSecond, durationSeconds, seed, startEpochMs, jitter,
                abandonedFraction, neverFedFraction, value, models, tenants);
    }

    public SimulationConfig withStartEpochMs(long value) {
        return new SimulationConfig(streams, ratePerSecond, durationSeconds, seed, value, jitter,
                abandonedFraction, neverFedFraction, reasoningFraction, models, tenants);
    }

    /** Streams served by {@code models} and spread over {@code tenants} (see the record's parameters). */
    public SimulationConfig withFleet(java.util.List<ModelProfile> models, java.util.List<String> tenants) {
        return new SimulationConfig(streams, ratePerSecond, durationSeconds, seed, startEpochMs, jitter,
                abandonedFraction, neverFedFraction, reasoningFraction, models, tenants);
    }

    /** The realistic fleet: {@link ModelProfile#FLEET} and {@link ModelProfile#TENANTS}. */
    public SimulationConfig withRealisticFleet() {
        return withFleet(ModelProfile.FLEET, ModelProfile.TENANTS);
    }

    /** No abandoned and no never-fed streams: every stream ends. */
    public SimulationConfig withoutFailures() {
        return withAbandonedFraction(0).withNeverFedFraction(0);
    }

    /** The end of the simulation, epoch ms: streams begin before it; the live ones end at it. */
    public long endEpochMs() {
        return startEpochMs + durationSeconds * 1000;
    }

    /** 1000 / R: the mean gap between two deltas of a stream, ms. */
    public double meanGapMs() {
        return 1000.0 / ratePerSecond;
    }

    private static void requireShare(String name, double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException(name + " must be within 0..1, got " + value);
        }
    }
}
