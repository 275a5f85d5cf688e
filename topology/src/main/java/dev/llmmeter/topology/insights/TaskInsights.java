package dev.llmmeter.topology.insights;

import dev.llmmeter.contract.Insight;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A session task's side of the insights: one {@link GroupTally} for all its streams (global), one per model and
 * one per tenant, each fed as events are applied and drained into the task's partial at each tick.
 *
 * <p>The task folds no label into {@code other}: which labels have a group of their own is the combiner's decision,
 * which sees every task ({@link LabelSlots}). A task only bounds its partials: at most {@code maxLabels} distinct
 * models (and as many tenants) have a tally of their own at a time ({@code metering.insights.max.labels.per.task},
 * at least the combiner's bound); a session whose label is new to the task beyond that is counted in the task's
 * overflow ({@link GroupKeys#OVERFLOW}), which the combiner adds to {@code other}, and in {@link #takeOverflowed}.
 * A label's tally goes away at the first tick where it has no live session and nothing applied, which frees its
 * place. Tallies are kept in the order the task first saw their labels, so a partial lists new labels in that
 * order. Sessions without a model (tenant) count in global only.
 *
 * <p>The session processor asks once per session (at its begin, or when it restores it) for the tallies of its model
 * and tenant ({@link #modelTally}, {@link #tenantTally}), keeps them with the session, and hands them back with each
 * of its events: so a delta costs no map lookup.
 */
public final class TaskInsights {
    private final int maxLabels;
    private final GroupTally global = new GroupTally(Insight.Group.GLOBAL, null);
    private final Map<String, GroupTally> models = new LinkedHashMap<>();
    private final Map<String, GroupTally> tenants = new LinkedHashMap<>();
    private final SloObjectives objectives;
    /** The judgement of the stream that left last, added to its groups. */
    private final SloCounts judged = new SloCounts();
    private long overflowed;

    /** @param maxLabels the most models (and, apart, tenants) with a tally of their own in this task */
    public TaskInsights(int maxLabels) {
        this(maxLabels, SloObjectives.NONE);
    }

    /**
     * @param maxLabels  the most models (and, apart, tenants) with a tally of their own in this task
     * @param objectives what streams are judged against when they leave
     */
    public TaskInsights(int maxLabels, SloObjectives objectives) {
        this.maxLabels = maxLabels;
        this.objectives = objectives;
    }

    /**
     * The tally a session of this model adds to (null when it names none): the model's own, or the task's overflow
     * when the model is new to the task beyond its bound. Asked once per session, before {@link #tenantTally}.
     */
    public GroupTally modelTally(String model) {
        return tally(models, Insight.Group.MODEL, model);
    }

    /** The tally a session of this tenant adds to (null when it names none), as {@link #modelTally}. */
    public GroupTally tenantTally(String tenant) {
        return tally(tenants, Insight.Group.TENANT, tenant);
    }

    private GroupTally tally(Map<String, GroupTally> labels, Insight.Group group, String label) {
        if (label == null) {
            return null;
        }
        GroupTally t = labels.get(label);
        if (t != null) {
            return t;
        }
        int own = labels.size() - (labels.containsKey(GroupKeys.OVERFLOW) ? 1 : 0);
        if (own >= maxLabels) {
            overflowed++;
            label = GroupKeys.OVERFLOW;
            t = labels.get(label);
            if (t != null) {
                return t;
            }
        }
        t = new GroupTally(group, label);
        labels.put(label, t);
        return t;
    }

    /** A begin was applied, of a session with these tallies (either may be null): counts it as started. */
    public void onBegin(GroupTally model, GroupTally tenant) {
        global.started++;
        if (model != null) {
            model.started++;
        }
        if (tenant != null) {
            tenant.started++;
        }
    }

    /** An end was applied to a live session with these tallies. */
    public void onEnd(GroupTally model, GroupTally tenant) {
        global.ended++;
        if (model != null) {
            model.ended++;
        }
        if (tenant != null) {
            tenant.ended++;
        }
    }

    /**
     * A delta was applied to a session with these tallies.
     *
     * @param increase  how much its running count rose over the session's count of that kind
     * @param first     whether it was the session's first delta (then {@code latencyMs} is its TTFT)
     * @param latencyMs TTFT for a first delta, else the event-time gap since the session's previous delta
     */
    public void onDelta(GroupTally model, GroupTally tenant, long increase, boolean first, long latencyMs) {
        global.onDelta(increase, first, latencyMs);
        if (model != null) {
            model.onDelta(increase, first, latencyMs);
        }
        if (tenant != null) {
            tenant.onDelta(increase, first, latencyMs);
        }
    }

    /**
     * A stream of a session with these tallies left (its end, or stale, expired, evicted) with this time per output
     * token; NaN (none) adds nothing.
     */
    public void onTpot(GroupTally model, GroupTally tenant, double tpotMs) {
        if (Double.isNaN(tpotMs)) {
            return;
        }
        global.onTpot(tpotMs);
        if (model != null) {
            model.onTpot(tpotMs);
        }
        if (tenant != null) {
            tenant.onTpot(tpotMs);
        }
    }

    /**
     * A stream of a session with these tallies left (its end, or stale, expired, evicted): its time per output token
     * goes to the sketches ({@link #onTpot}) and it is judged against its model's objectives ({@link SloObjectives}).
     *
     * @param modelName the stream's model (null when none)
     * @param ttftMs    its TTFT; negative when it had no delta
     * @param tpotMs    its time per output token; NaN when none
     * @param tokens    its output tokens
     */
    public void onLeft(GroupTally model, GroupTally tenant, String modelName, long ttftMs, double tpotMs, long tokens) {
        onTpot(model, tenant, tpotMs);
        if (!objectives.judge(modelName, ttftMs, tpotMs, tokens, resetJudged())) {
            return;
        }
        global.slo.add(judged);
        if (model != null) {
            model.slo.add(judged);
        }
        if (tenant != null) {
            tenant.slo.add(judged);
        }
    }

    private SloCounts resetJudged() {
        judged.streams = 0;
        judged.ttftStreams = 0;
        judged.ttftMet = 0;
        judged.tpotStreams = 0;
        judged.tpotMet = 0;
        judged.met = 0;
        judged.metTokens = 0;
        return judged;
    }

    /**
     * A session with these tallies became live (its begin, or its restore) with this rate (NaN when none): it counts
     * as active in its groups, and its rate in their sums, until it {@link #leave}s. Kept as sessions come, change and
     * go, so that a tick costs nothing per idle session.
     */
    public void join(GroupTally model, GroupTally tenant, double tps) {
        change(model, tenant, 1, Double.NaN, tps);
    }

    /** A live session with these tallies left (ended, replaced, stale, expired, evicted), with the rate it added last. */
    public void leave(GroupTally model, GroupTally tenant, double tps) {
        change(model, tenant, -1, tps, Double.NaN);
    }

    /** A live session's rate changed from {@code before} to {@code after} (NaN: none). */
    public void rate(GroupTally model, GroupTally tenant, double before, double after) {
        if (Double.compare(before, after) != 0) { // NaN to NaN is no change; a rate is never -0.0
            change(model, tenant, 0, before, after);
        }
    }

    /** The session's groups: global always, its model's and tenant's where it has them. */
    private void change(GroupTally model, GroupTally tenant, int active, double before, double after) {
        global.change(active, before, after);
        if (model != null) {
            model.change(active, before, after);
        }
        if (tenant != null) {
            tenant.change(active, before, after);
        }
    }

    /** The rates > 0 of the task's live sessions: their exact sum, rounded once ({@link dev.llmmeter.topology.ExactSum}). */
    public double rateSum() {
        return global.tpsSum.value();
    }

    /** How many of the task's live sessions have a rate > 0. */
    public int rateCount() {
        return global.tpsCount;
    }

    /**
     * At a tick: the groups' parts (global first, then models, then tenants), and a fresh second; tallies of labels
     * with no live session and nothing applied in the second go away.
     */
    public Map<String, GroupPart> drain() {
        Map<String, GroupPart> parts = new LinkedHashMap<>();
        GroupPart g = global.drain();
        if (g != null) {
            parts.put(global.key(), g);
        }
        drain(models, parts);
        drain(tenants, parts);
        return parts;
    }

    private static void drain(Map<String, GroupTally> labels, Map<String, GroupPart> parts) {
        Iterator<GroupTally> it = labels.values().iterator();
        while (it.hasNext()) {
            GroupTally t = it.next();
            GroupPart p = t.drain();
            if (p == null) {
                it.remove(); // no live session refers to it (each is counted in active from its join to its leave)
            } else {
                parts.put(t.key(), p);
            }
        }
    }

    /** Sessions counted in the task's overflow (their model, or tenant, found the task's bound reached) since the last call. */
    public long takeOverflowed() {
        long f = overflowed;
        overflowed = 0;
        return f;
    }
}
