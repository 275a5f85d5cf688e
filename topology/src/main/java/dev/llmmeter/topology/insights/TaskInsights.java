package dev.llmmeter.topology.insights;

import dev.llmmeter.contract.Insight;
import dev.llmmeter.topology.state.Session;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A session task's side of the insights: one {@link GroupTally} for all its streams (global), one per model and
 * one per tenant, each fed as events are applied and drained into the task's partial at each tick.
 *
 * <p>Labels are bounded: at most {@code maxLabels} distinct models (and as many tenants) have a tally of their own
 * at a time; a begin naming another one is counted in the {@code other} group of its breakdown (and in
 * {@link #takeFolded}). A label's tally goes away at the first tick where it has no live session and nothing
 * applied, which frees its place. Sessions without a model (tenant) count in global only.
 */
public final class TaskInsights {
    private final int maxLabels;
    private final GroupTally global = new GroupTally(Insight.Group.GLOBAL, null);
    private final Map<String, GroupTally> models = new HashMap<>();
    private final Map<String, GroupTally> tenants = new HashMap<>();
    private long folded;

    public TaskInsights(int maxLabels) {
        this.maxLabels = maxLabels;
    }

    /** Gives a session (begun, or restored from the store) the tallies of its model and tenant. */
    public void attach(Session s) {
        s.attach(tally(models, Insight.Group.MODEL, s.model()), tally(tenants, Insight.Group.TENANT, s.tenant()));
    }

    private GroupTally tally(Map<String, GroupTally> labels, Insight.Group group, String label) {
        if (label == null) {
            return null;
        }
        GroupTally t = labels.get(label);
        if (t != null) {
            return t;
        }
        int named = labels.size() - (labels.containsKey(GroupKeys.OTHER) ? 1 : 0);
        if (named >= maxLabels) {
            folded++;
            label = GroupKeys.OTHER;
            t = labels.get(label);
            if (t != null) {
                return t;
            }
        }
        t = new GroupTally(group, label);
        labels.put(label, t);
        return t;
    }

    /** A begin was applied: attaches the session and counts it as started. */
    public void onBegin(Session s) {
        attach(s);
        global.started++;
        if (s.modelTally() != null) {
            s.modelTally().started++;
        }
        if (s.tenantTally() != null) {
            s.tenantTally().started++;
        }
    }

    /** An end was applied to a live session. */
    public void onEnd(Session s) {
        global.ended++;
        if (s.modelTally() != null) {
            s.modelTally().ended++;
        }
        if (s.tenantTally() != null) {
            s.tenantTally().ended++;
        }
    }

    /**
     * A delta was applied.
     *
     * @param increase  how much its running count rose over the session's count of that kind
     * @param first     whether it was the session's first delta (then {@code latencyMs} is its TTFT)
     * @param latencyMs TTFT for a first delta, else the event-time gap since the session's previous delta
     */
    public void onDelta(Session s, long increase, boolean first, long latencyMs) {
        global.onDelta(increase, first, latencyMs);
        GroupTally m = s.modelTally();
        if (m != null) {
            m.onDelta(increase, first, latencyMs);
        }
        GroupTally t = s.tenantTally();
        if (t != null) {
            t.onDelta(increase, first, latencyMs);
        }
    }

    /** At a tick, for each live session: counts it as active in its groups, with its rate (NaN when none). */
    public void addLive(Session s, double tps) {
        global.addStream(tps);
        if (s.modelTally() != null) {
            s.modelTally().addStream(tps);
        }
        if (s.tenantTally() != null) {
            s.tenantTally().addStream(tps);
        }
    }

    /**
     * At a tick, after {@link #addLive} for every live session: the groups' parts (global first, then models, then
     * tenants), and a fresh second; tallies of labels with nothing left go away.
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
                it.remove(); // no live session refers to it (each was counted by addLive)
            } else {
                parts.put(t.key(), p);
            }
        }
    }

    /** Begins whose model or tenant was folded into {@code other} since the last call. */
    public long takeFolded() {
        long f = folded;
        folded = 0;
        return f;
    }

    /** Labels with a tally of their own now (models + tenants, {@code other} included). */
    public int labels() {
        return models.size() + tenants.size();
    }
}
