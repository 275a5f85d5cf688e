package dev.llmmeter.topology.insights;

import java.util.Map;

/**
 * The service level objectives streams are judged against when they leave ({@code metering.slo.*}): a time to first
 * token and a time per output token, each a default and optionally one per model. A stream is judged against its
 * model's own objective, else the default; an objective that is unset for its model judges nothing.
 *
 * <ul>
 *   <li>TTFT: a stream with a delta meets it when its TTFT is at most the objective (exactly at it meets it); a
 *       stream that left without any delta missed it.</li>
 *   <li>TPOT: a stream with a time per output token meets it when that is at most the objective; a stream without one
 *       (fewer than 2 output tokens, or its output deltas all at one time) is not judged on TPOT.</li>
 *   <li>All: a stream judged on at least one objective met all when it met each it was judged on.</li>
 * </ul>
 */
public final class SloObjectives {
    /** No objective at all: judges nothing. */
    public static final SloObjectives NONE = new SloObjectives(Double.NaN, Double.NaN, Map.of(), Map.of(), 0.99);

    private final double ttftMs;
    private final double tpotMs;
    private final Map<String, Double> ttftByModel;
    private final Map<String, Double> tpotByModel;
    private final double target;

    /**
     * @param ttftMs      the default TTFT objective, NaN when unset
     * @param tpotMs      the default TPOT objective, NaN when unset
     * @param ttftByModel model -> its own TTFT objective
     * @param tpotByModel model -> its own TPOT objective
     * @param target      the SLO attainment aimed at (0 to 1), published with the figures
     */
    public SloObjectives(double ttftMs, double tpotMs, Map<String, Double> ttftByModel, Map<String, Double> tpotByModel,
                         double target) {
        this.target = target;
        this.ttftMs = ttftMs;
        this.tpotMs = tpotMs;
        this.ttftByModel = Map.copyOf(ttftByModel);
        this.tpotByModel = Map.copyOf(tpotByModel);
    }

    /** The SLO attainment aimed at. */
    public double target() {
        return target;
    }

    /** Whether any objective is set (then every insights record carries its service level figures). */
    public boolean any() {
        return !Double.isNaN(ttftMs) || !Double.isNaN(tpotMs) || !ttftByModel.isEmpty() || !tpotByModel.isEmpty();
    }

    /** The TTFT objective of a model's streams (null model: the default's); NaN when unset. */
    public double ttftMs(String model) {
        Double own = model == null ? null : ttftByModel.get(model);
        return own != null ? own : ttftMs;
    }

    /** The TPOT objective of a model's streams, as {@link #ttftMs}. */
    public double tpotMs(String model) {
        Double own = model == null ? null : tpotByModel.get(model);
        return own != null ? own : tpotMs;
    }

    /**
     * Judges a stream that left and adds it to {@code counts}.
     *
     * @param model  the stream's model (null when none)
     * @param ttft   its TTFT in ms; negative when it had no delta
     * @param tpot   its time per output token in ms; NaN when none
     * @param tokens its output tokens, counted in goodput when it met all
     * @return whether it was judged on any objective
     */
    boolean judge(String model, long ttft, double tpot, long tokens, SloCounts counts) {
        double ttftObjective = ttftMs(model);
        double tpotObjective = tpotMs(model);
        boolean judged = false;
        boolean metAll = true;
        if (!Double.isNaN(ttftObjective)) {
            boolean met = ttft >= 0 && ttft <= ttftObjective;
            counts.ttftStreams++;
            counts.ttftMet += met ? 1 : 0;
            judged = true;
            metAll = met;
        }
        if (!Double.isNaN(tpotObjective) && !Double.isNaN(tpot)) {
            boolean met = tpot <= tpotObjective;
            counts.tpotStreams++;
            counts.tpotMet += met ? 1 : 0;
            judged = true;
            metAll &= met;
        }
        if (judged) {
            counts.streams++;
            if (metAll) {
                counts.met++;
                counts.metTokens += tokens;
            }
        }
        return judged;
    }
}
