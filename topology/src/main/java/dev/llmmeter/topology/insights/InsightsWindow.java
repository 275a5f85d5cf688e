package dev.llmmeter.topology.insights;

import dev.llmmeter.contract.Insight;
import dev.llmmeter.topology.Emission;
import dev.llmmeter.topology.PythonRound;
import dev.llmmeter.topology.state.Partial;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The combiner's side of the insights: the last minute of seconds, each the merge of every task's part of that
 * second, per group; and at each emitted tick, one {@link Insight} per group.
 *
 * <ul>
 *   <li>{@code active} and {@code tps} are state: summed over the latest partial of every task, like the stats.</li>
 *   <li>The windowed figures add each task's second once (a partial's second is added when it is the newest that
 *       task has sent), whatever tick it is emitted in: a late partial still lands in its own second.
 *       "Applied in the last N s" at tick T is the seconds (T - N s, T], on the meters' clocks (receipt).</li>
 * </ul>
 * The seconds live in memory: after the combiner restarts or moves, the windowed figures cover the time since
 * (they are whole again after a minute); {@code active} and {@code tps} come back with the partials store.
 */
public final class InsightsWindow {
    public static final long WINDOW_MS = 60_000;
    public static final long RATE_WINDOW_MS = 10_000;
    /** Global first, then models, then tenants, each by name. */
    private static final Comparator<String> KEY_ORDER = Comparator.comparing(GroupKeys::group).thenComparing(k -> k);

    private final int maxLabels;
    /** tick -> group key -> that second, merged over tasks. */
    private final TreeMap<Long, Map<String, Second>> seconds = new TreeMap<>();
    /** task -> the tick of the newest second of that task added. */
    private final Map<String, Long> lastAdded = new HashMap<>();
    /** Labels with a group of their own, per breakdown, in the order they got it. */
    private final Set<String> models = new LinkedHashSet<>();
    private final Set<String> tenants = new LinkedHashSet<>();
    private long folded;
    /** Whether the windows held anything at the previous tick. */
    private boolean wasBusy;
    /** The keys of the groups published at the last insights tick (global included; idle records not). */
    private final Set<String> published = new HashSet<>();

    public InsightsWindow(int maxLabels) {
        this.maxLabels = maxLabels;
    }

    /** Adds a task's partial's second, unless that task's second of this tick (or a later one) is in already. */
    public void add(String task, Partial p) {
        Long last = lastAdded.get(task);
        if (last != null && p.tick() <= last) {
            return;
        }
        lastAdded.put(task, p.tick());
        if (!seconds.isEmpty() && p.tick() <= seconds.lastKey() - WINDOW_MS) {
            return; // older than any window still to be emitted
        }
        Map<String, Second> second = null;
        for (Map.Entry<String, GroupPart> e : p.groups().entrySet()) {
            GroupPart g = e.getValue();
            if (g.hasSecond()) {
                if (second == null) {
                    second = seconds.computeIfAbsent(p.tick(), t -> new HashMap<>());
                }
                second.computeIfAbsent(e.getKey(), k -> new Second()).add(g);
            }
        }
        if (!seconds.isEmpty()) {
            seconds.headMap(seconds.lastKey() - WINDOW_MS, true).clear();
        }
    }

    /** Forgets a task (it went silent): its next partial's second is taken whatever its tick. */
    public void forget(String task) {
        lastAdded.remove(task);
    }

    /**
     * The insights of {@code tick}, if they are due ({@link #due}): global, each model and tenant group with a live
     * session or something applied in the last minute, and one idle record (zeros) for each group published at the
     * previous insights tick that now has neither.
     *
     * @param latest   every task's latest partial
     * @param statsDue whether the stats record of this tick goes out
     */
    public List<Insight> emit(long tick, Collection<Partial> latest, boolean statsDue) {
        Map<String, Figures> groups = new TreeMap<>(KEY_ORDER);
        groups.put(GroupKeys.key(Insight.Group.GLOBAL, null), new Figures());
        for (Partial p : latest) {
            for (Map.Entry<String, GroupPart> e : p.groups().entrySet()) {
                GroupPart g = e.getValue();
                Figures f = groups.computeIfAbsent(e.getKey(), k -> new Figures());
                f.active += g.active();
                f.tpsSum += g.tpsSum();
                f.tpsCount += g.tpsCount();
            }
        }
        Map<Long, Map<String, Second>> window = seconds.subMap(tick - WINDOW_MS, false, tick, true);
        boolean busy = !window.isEmpty();
        for (Map.Entry<Long, Map<String, Second>> s : window.entrySet()) {
            boolean inRateWindow = s.getKey() > tick - RATE_WINDOW_MS;
            for (Map.Entry<String, Second> e : s.getValue().entrySet()) {
                groups.computeIfAbsent(e.getKey(), k -> new Figures()).add(e.getValue(), inRateWindow);
            }
        }
        seconds.headMap(tick - WINDOW_MS, true).clear(); // no later tick's window reaches them
        fold(groups, Insight.Group.MODEL, models);
        fold(groups, Insight.Group.TENANT, tenants);
        groups.values().removeIf(Figures::isEmpty);
        release(groups.keySet(), Insight.Group.MODEL, models);
        release(groups.keySet(), Insight.Group.TENANT, tenants);
        boolean due = due(statsDue, busy, wasBusy);
        wasBusy = busy;
        if (!due) {
            return List.of();
        }
        String global = GroupKeys.key(Insight.Group.GLOBAL, null);
        groups.putIfAbsent(global, new Figures());
        Set<String> gone = new HashSet<>(published);
        gone.removeAll(groups.keySet());
        published.clear();
        published.addAll(groups.keySet());
        for (String key : gone) {
            groups.put(key, new Figures()); // its idle record
        }
        List<Insight> out = new ArrayList<>(groups.size());
        for (Map.Entry<String, Figures> e : groups.entrySet()) {
            Figures f = e.getValue();
            out.add(new Insight(tick, GroupKeys.group(e.getKey()), GroupKeys.name(e.getKey()), f.active,
                    f.tpsCount > 0 ? PythonRound.oneDecimal(f.tpsSum / f.tpsCount) : null,
                    PythonRound.oneDecimal(f.tokens / (RATE_WINDOW_MS / 1000.0)),
                    f.ttft.percentiles(), f.itl.percentiles(), f.started, f.ended));
        }
        return out;
    }

    /**
     * When insights go out: on every stats tick, and beyond it while the windows hold anything, so that every
     * figure runs down to zero after the last stream ends (system_tps 10 s later, the rest 60 s later); then once
     * more at the first tick they hold nothing, the idle record, as the stats do ({@link Emission#due}); then
     * nothing until the next stats tick.
     *
     * @param statsDue whether the stats record of the tick goes out
     * @param busy     whether the windows of the tick hold anything (something applied in the last minute)
     * @param wasBusy  whether they did at the previous tick
     */
    static boolean due(boolean statsDue, boolean busy, boolean wasBusy) {
        return statsDue || Emission.due(busy, wasBusy);
    }

    /** Beyond {@code maxLabels} labels with a group, the newcomers are folded into {@code other}. */
    private void fold(Map<String, Figures> groups, Insight.Group group, Set<String> admitted) {
        List<String> newcomers = new ArrayList<>();
        for (String key : groups.keySet()) {
            if (GroupKeys.group(key) == group) {
                String name = GroupKeys.name(key);
                if (!name.equals(GroupKeys.OTHER) && !admitted.contains(name)) {
                    newcomers.add(name);
                }
            }
        }
        for (String name : newcomers) {
            if (admitted.size() < maxLabels) {
                admitted.add(name);
            } else {
                Figures f = groups.remove(GroupKeys.key(group, name));
                groups.computeIfAbsent(GroupKeys.key(group, GroupKeys.OTHER), k -> new Figures()).merge(f);
                folded++;
            }
        }
    }

    /** Labels whose group has nothing left give up their place. */
    private static void release(Set<String> keys, Insight.Group group, Set<String> admitted) {
        Set<String> present = new HashSet<>();
        for (String key : keys) {
            if (GroupKeys.group(key) == group) {
                present.add(GroupKeys.name(key));
            }
        }
        admitted.retainAll(present);
    }

    /** Groups folded into {@code other} since the last call. */
    public long takeFolded() {
        long f = folded;
        folded = 0;
        return f;
    }

    /** Seconds held (at most a minute's). */
    int seconds() {
        return seconds.size();
    }

    /** One second of one group, merged over tasks. */
    private static final class Second {
        long tokens;
        long started;
        long ended;
        final LatencySketch ttft = new LatencySketch();
        final LatencySketch itl = new LatencySketch();

        void add(GroupPart g) {
            tokens += g.tokens();
            started += g.started();
            ended += g.ended();
            ttft.mergeWith(g.ttft());
            itl.mergeWith(g.itl());
        }
    }

    /** One group's figures at a tick. */
    private static final class Figures {
        long active;
        double tpsSum;
        long tpsCount;
        long tokens;
        long started;
        long ended;
        final LatencySketch ttft = new LatencySketch();
        final LatencySketch itl = new LatencySketch();

        void add(Second s, boolean inRateWindow) {
            if (inRateWindow) {
                tokens += s.tokens;
            }
            started += s.started;
            ended += s.ended;
            ttft.mergeWith(s.ttft);
            itl.mergeWith(s.itl);
        }

        void merge(Figures f) {
            active += f.active;
            tpsSum += f.tpsSum;
            tpsCount += f.tpsCount;
            tokens += f.tokens;
            started += f.started;
            ended += f.ended;
            ttft.mergeWith(f.ttft);
            itl.mergeWith(f.itl);
        }

        boolean hasRecords() {
            return started != 0 || ended != 0 || !ttft.isEmpty() || !itl.isEmpty() || tokens != 0;
        }

        /** Nothing live, nothing in the last minute: the group is gone. */
        boolean isEmpty() {
            return active == 0 && !hasRecords();
        }
    }
}
