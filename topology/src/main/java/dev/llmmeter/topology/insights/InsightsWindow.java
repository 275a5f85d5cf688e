package dev.llmmeter.topology.insights;

import dev.llmmeter.contract.Insight;
import dev.llmmeter.topology.Emission;
import dev.llmmeter.topology.PythonRound;
import dev.llmmeter.topology.state.Partial;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The combiner's side of the insights: the last minute of seconds, each the merge of every task's part of that
 * second, per group; and at each insights tick ({@link #due}), one {@link Insight} per group.
 *
 * <ul>
 *   <li>{@code active} and {@code tps} are state: summed over the latest partial of every task, like the stats.</li>
 *   <li>The windowed figures add each task's second once (a partial's second is added when it is the newest that
 *       task has sent), whatever tick it is emitted in: a late partial still lands in its own second.
 *       "Applied in the last N s" at tick T is the seconds (T - N s, T], on the meters' clocks (receipt).</li>
 *   <li>Figures are gathered per label as the tasks report them; which labels have a group of their own is decided
 *       here, at each tick, by one rule ({@link LabelSlots}); the others, and the tasks' overflows, are summed into
 *       the {@code other} group of their breakdown. So a named group always holds all of its streams, whatever task
 *       metered them, and {@code other} only the rest.</li>
 * </ul>
 * The seconds live in memory: after the combiner restarts or moves, the windowed figures cover the time since
 * (they are whole again after a minute); {@code active} and {@code tps} come back with the partials store.
 *
 * <p>Service level figures ({@link SloObjectives}, when an objective is set): the streams judged in the window's
 * seconds give the last minute's; for the last hour, the judged streams of each second are also summed into a bucket
 * per minute ({@link #HOUR_BUCKETS} of them, in memory like the seconds). A bucket keeps at most {@code maxLabels}
 * models (and tenants) apart, in the order it meets them; the rest of that minute count in the task overflow's
 * share, published in {@code other} (each such label counted once per minute, {@link #takeFoldedFromHour}). At a
 * tick, a published group's hour is the buckets of its label (also in its idle record), and {@code other}'s the rest
 * of those published.
 */
public final class InsightsWindow {
    public static final long WINDOW_MS = 60_000;
    public static final long RATE_WINDOW_MS = 10_000;
    public static final long MINUTE_MS = 60_000;
    /** The hour of service level figures: the minutes begun in the last hour, the current one so far. */
    public static final int HOUR_BUCKETS = 60;
    public static final long HOUR_MS = HOUR_BUCKETS * MINUTE_MS;
    /** Partial keys: global first, then models, then tenants, each by name. */
    private static final Comparator<String> KEY_ORDER = Comparator.comparing(GroupKeys::group).thenComparing(k -> k);
    /** Published groups: global first, then models, then tenants, each by name with {@code other} last. */
    private static final Comparator<Published> PUBLISHED_ORDER = Comparator.comparing(Published::group)
            .thenComparing(Published::fold).thenComparing(p -> p.name() == null ? "" : p.name());

    /** tick -> group key (as in the partials) -> that second, merged over tasks. */
    private final TreeMap<Long, Map<String, Second>> seconds = new TreeMap<>();
    /** task -> the tick of the newest second of that task added. */
    private final Map<String, Long> lastAdded = new HashMap<>();
    private final LabelSlots models;
    private final LabelSlots tenants;
    /** Whether the windows held anything at the previous tick. */
    private boolean wasBusy;
    /** The groups published at the last insights tick (global included; idle records not). */
    private final Set<Published> published = new HashSet<>();
    private final SloObjectives objectives;
    /** minute start -> that minute's judged streams per partial key. */
    private final TreeMap<Long, Minute> minutes = new TreeMap<>();
    private final int maxLabels;
    /** Labels folded out of a minute of the hour since the last {@link #takeFoldedFromHour}, by breakdown. */
    private final Map<Insight.Group, Long> hourFolded = new EnumMap<>(Insight.Group.class);

    /** @param maxLabels the most models (and, apart, tenants) with a group of their own */
    public InsightsWindow(int maxLabels) {
        this(maxLabels, SloObjectives.NONE);
    }

    /**
     * @param maxLabels  the most models (and, apart, tenants) with a group of their own
     * @param objectives the service level objectives (their values are published with the figures)
     */
    public InsightsWindow(int maxLabels, SloObjectives objectives) {
        this.models = new LabelSlots(maxLabels);
        this.tenants = new LabelSlots(maxLabels);
        this.maxLabels = maxLabels;
        this.objectives = objectives;
    }

    /** Adds a task's partial's second, unless that task's second of this tick (or a later one) is in already. */
    public void add(String task, Partial p) {
        Long last = lastAdded.get(task);
        if (last != null && p.tick() <= last) {
            return;
        }
        lastAdded.put(task, p.tick());
        for (String key : p.groups().keySet()) {
            String name = GroupKeys.name(key);
            if (name != null && !name.equals(GroupKeys.OVERFLOW)) {
                slots(GroupKeys.group(key)).seen(name);
            }
        }
        addToHour(p);
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

    /** Adds a partial's judged streams to the bucket of its minute, unless that minute has left the hour. */
    private void addToHour(Partial p) {
        long start = Math.floorDiv(p.tick(), MINUTE_MS) * MINUTE_MS;
        if (!minutes.isEmpty() && start <= minutes.lastKey() - HOUR_MS) {
            return;
        }
        Minute minute = null;
        for (Map.Entry<String, GroupPart> e : p.groups().entrySet()) {
            SloCounts slo = e.getValue().slo();
            if (!slo.isEmpty()) {
                if (minute == null) {
                    minute = minutes.computeIfAbsent(start, t -> new Minute());
                }
                Insight.Group folded = minute.add(e.getKey(), slo, maxLabels);
                if (folded != null) {
                    hourFolded.merge(folded, 1L, Long::sum);
                }
            }
        }
        if (minute != null) {
            minutes.headMap(minutes.lastKey() - HOUR_MS, true).clear();
        }
    }

    private LabelSlots slots(Insight.Group group) {
        return group == Insight.Group.MODEL ? models : tenants;
    }

    /** Forgets a task (it went silent): its next partial's second is taken whatever its tick. */
    public void forget(String task) {
        lastAdded.remove(task);
    }

    /**
     * The insights of {@code tick}, if they are due ({@link #due}): global, each model and tenant group with a live
     * session or something applied in the last minute, and one idle record (zeros) for each group published at the
     * previous insights tick that now has neither. The label slots are brought up to the tick whether or not.
     *
     * @param latest   every task's latest partial
     * @param statsDue whether the stats record of this tick goes out
     */
    public List<Insight> emit(long tick, Collection<Partial> latest, boolean statsDue) {
        Map<String, Figures> byKey = new TreeMap<>(KEY_ORDER);
        for (Partial p : latest) {
            for (Map.Entry<String, GroupPart> e : p.groups().entrySet()) {
                GroupPart g = e.getValue();
                Figures f = byKey.computeIfAbsent(e.getKey(), k -> new Figures());
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
                byKey.computeIfAbsent(e.getKey(), k -> new Figures()).add(e.getValue(), inRateWindow);
            }
        }
        seconds.headMap(tick - WINDOW_MS, true).clear(); // no later tick's window reaches them
        byKey.values().removeIf(Figures::isEmpty);
        models.update(labels(byKey.keySet(), Insight.Group.MODEL));
        tenants.update(labels(byKey.keySet(), Insight.Group.TENANT));
        boolean due = due(statsDue, busy, wasBusy);
        wasBusy = busy;
        if (!due) {
            return List.of();
        }
        Map<Published, Figures> groups = new TreeMap<>(PUBLISHED_ORDER);
        groups.put(Published.GLOBAL, new Figures());
        for (Map.Entry<String, Figures> e : byKey.entrySet()) {
            groups.computeIfAbsent(publishedAs(e.getKey()), k -> new Figures()).merge(e.getValue());
        }
        Set<Published> gone = new HashSet<>(published);
        gone.removeAll(groups.keySet());
        published.clear();
        published.addAll(groups.keySet());
        for (Published g : gone) {
            groups.put(g, new Figures()); // its idle record
        }
        boolean slo = objectives.any();
        if (slo) {
            minutes.headMap(tick - HOUR_MS, true).clear();
            for (Minute m : minutes.values()) {
                for (Map.Entry<String, SloCounts> e : m.byKey.entrySet()) {
                    Figures f = groups.get(ownGroup(e.getKey()));
                    if (f == null) {
                        f = groups.get(publishedAs(e.getKey()));
                    }
                    if (f != null) {
                        f.sloHour.add(e.getValue());
                    }
                }
            }
        }
        List<Insight> out = new ArrayList<>(groups.size());
        for (Map.Entry<Published, Figures> e : groups.entrySet()) {
            Figures f = e.getValue();
            out.add(new Insight(tick, e.getKey().group(), e.getKey().name(), f.active,
                    f.tpsCount > 0 ? PythonRound.oneDecimal(f.tpsSum / f.tpsCount) : null,
                    PythonRound.oneDecimal(f.tokens / (RATE_WINDOW_MS / 1000.0)),
                    f.ttft.percentiles(), f.itl.percentiles(), f.tpot.percentiles(), f.started, f.ended,
                    slo ? slo(e.getKey(), f) : null));
        }
        return out;
    }

    /** A published group's objectives and attainment: a model's group has its model's objectives, the rest the defaults. */
    private Insight.Slo slo(Published g, Figures f) {
        String model = g.group() == Insight.Group.MODEL && !g.fold() ? GroupKeys.label(g.name()) : null;
        double ttft = objectives.ttftMs(model);
        double tpot = objectives.tpotMs(model);
        return new Insight.Slo(Double.isNaN(ttft) ? null : ttft, Double.isNaN(tpot) ? null : tpot, objectives.target(),
                f.slo.attainment(WINDOW_MS / 1000.0), f.sloHour.attainment(HOUR_MS / 1000.0));
    }

    /** The labels of {@code group} among partial keys, by name (a task's overflow is no label). */
    private static Set<String> labels(Set<String> keys, Insight.Group group) {
        Set<String> labels = new TreeSet<>();
        for (String key : keys) {
            if (GroupKeys.group(key) == group) {
                String name = GroupKeys.name(key);
                if (!name.equals(GroupKeys.OVERFLOW)) {
                    labels.add(name);
                }
            }
        }
        return labels;
    }

    /** The group of a partial key's label of its own, whether or not it has a slot (global for global). */
    private static Published ownGroup(String key) {
        Insight.Group group = GroupKeys.group(key);
        String name = GroupKeys.name(key);
        return group == Insight.Group.GLOBAL ? Published.GLOBAL
                : name.equals(GroupKeys.OVERFLOW) ? new Published(group, true, GroupKeys.OTHER)
                : new Published(group, false, GroupKeys.publishedName(name));
    }

    /** The group a partial key's figures are published in: its label's own if it has a slot, else the fold. */
    private Published publishedAs(String key) {
        Insight.Group group = GroupKeys.group(key);
        if (group == Insight.Group.GLOBAL) {
            return Published.GLOBAL;
        }
        String name = GroupKeys.name(key);
        if (!name.equals(GroupKeys.OVERFLOW) && slots(group).has(name)) {
            return new Published(group, false, GroupKeys.publishedName(name));
        }
        return new Published(group, true, GroupKeys.OTHER);
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

    /** Labels of {@code breakdown} (model or tenant) refused a group of their own since the last call. */
    public long takeFolded(Insight.Group breakdown) {
        return slots(breakdown).takeRefused();
    }

    /**
     * Labels of {@code breakdown} (model or tenant) folded out of a minute of the hour since the last call: each once
     * per minute, when the minute first meets it with {@code maxLabels} others of its breakdown apart.
     */
    public long takeFoldedFromHour(Insight.Group breakdown) {
        Long n = hourFolded.remove(breakdown);
        return n == null ? 0 : n;
    }

    /** A published group: global, a label's own group (by its published name), or the fold of a breakdown. */
    private record Published(Insight.Group group, boolean fold, String name) {
        static final Published GLOBAL = new Published(Insight.Group.GLOBAL, false, null);
    }

    /** Seconds held (at most a minute's). */
    int seconds() {
        return seconds.size();
    }

    /** Minutes held (at most an hour's). */
    int minutes() {
        return minutes.size();
    }

    /** One minute's judged streams, per partial key; at most {@code maxLabels} models and as many tenants apart. */
    private static final class Minute {
        final Map<String, SloCounts> byKey = new HashMap<>();
        /** The partial keys of labels this minute has folded into the overflow (each is counted once). */
        final Set<String> folded = new HashSet<>();
        int models;
        int tenants;

        /** @return the breakdown of a label this minute folds for the first time, else null */
        Insight.Group add(String key, SloCounts slo, int maxLabels) {
            Insight.Group foldedNow = null;
            SloCounts c = byKey.get(key);
            if (c == null) {
                Insight.Group group = GroupKeys.group(key);
                if (group != Insight.Group.GLOBAL && !GroupKeys.OVERFLOW.equals(GroupKeys.name(key))) {
                    boolean isModel = group == Insight.Group.MODEL;
                    if ((isModel ? models : tenants) >= maxLabels) {
                        if (folded.add(key)) {
                            foldedNow = group;
                        }
                        key = GroupKeys.key(group, GroupKeys.OVERFLOW);
                    } else if (isModel) {
                        models++;
                    } else {
                        tenants++;
                    }
                }
                c = byKey.computeIfAbsent(key, k -> new SloCounts());
            }
            c.add(slo);
            return foldedNow;
        }
    }

    /** One second of one group, merged over tasks. */
    private static final class Second {
        long tokens;
        long started;
        long ended;
        final LatencySketch ttft = new LatencySketch();
        final LatencySketch itl = new LatencySketch();
        final LatencySketch tpot = new LatencySketch();
        final SloCounts slo = new SloCounts();

        void add(GroupPart g) {
            tokens += g.tokens();
            started += g.started();
            ended += g.ended();
            ttft.mergeWith(g.ttft());
            itl.mergeWith(g.itl());
            tpot.mergeWith(g.tpot());
            slo.add(g.slo());
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
        final LatencySketch tpot = new LatencySketch();
        final SloCounts slo = new SloCounts();
        final SloCounts sloHour = new SloCounts();

        void add(Second s, boolean inRateWindow) {
            if (inRateWindow) {
                tokens += s.tokens;
            }
            started += s.started;
            ended += s.ended;
            ttft.mergeWith(s.ttft);
            itl.mergeWith(s.itl);
            tpot.mergeWith(s.tpot);
            slo.add(s.slo);
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
            tpot.mergeWith(f.tpot);
            slo.add(f.slo);
        }

        boolean hasRecords() {
            return started != 0 || ended != 0 || !ttft.isEmpty() || !itl.isEmpty() || !tpot.isEmpty() || tokens != 0
                    || !slo.isEmpty();
        }

        /** Nothing live, nothing in the last minute: the group is gone. */
        boolean isEmpty() {
            return active == 0 && !hasRecords();
        }
    }
}
