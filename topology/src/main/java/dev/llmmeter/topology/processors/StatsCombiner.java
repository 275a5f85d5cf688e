package dev.llmmeter.topology.processors;

import dev.llmmeter.contract.Insight;
import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.topology.Emission;
import dev.llmmeter.topology.GlobalMean;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.MeteringTopology;
import dev.llmmeter.topology.PythonRound;
import dev.llmmeter.topology.StoreNames;
import dev.llmmeter.topology.Ticks;
import dev.llmmeter.topology.insights.InsightsWindow;
import dev.llmmeter.topology.state.HourOfReadings;
import dev.llmmeter.topology.state.Partial;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Iterator;
import java.util.Map;

/**
 * The single global stage: combines the latest {@link Partial} of every session task into one
 * {@link Stats} per tick, and owns the hour of readings; on the same ticks, one {@link Insight} per group
 * ({@link InsightsWindow}). It forwards both as {@link CombinerOutput}s (stats keyed {@code global}, insights by
 * group), which the topology routes by type to their topics.
 *
 * <p>A tick is emitted as soon as every known task has reported it, or at {@code grace} ms past the
 * tick's fire time with what has arrived by then (a slow task counts with its previous partial). The
 * last emitted tick is stored, so no tick is ever emitted twice, restarts included. No tick is skipped either: when
 * the tick to emit is more than a second past the last emitted one (the stream thread stalled, say while a broker
 * restarted, and Kafka runs a late wall-clock punctuation once, not once per second missed; or the combiner was
 * down), the ticks in between are emitted first, oldest first, with the figures it has when it catches up (each
 * task's latest partial, as for a late tick); at most {@link #MAX_MISSED_TICKS} of them, older ones skipped and
 * counted in {@code skipped-ticks}.
 *
 * <p>The combiner trusts its own clock, not the ticks the partials carry: it never emits a tick ahead of its
 * own clock; a partial dated more than a second ahead (an instance with a bad clock) is taken as the current
 * tick's and counted in {@code future-partials}; a task is silent when none of its partials has <em>arrived</em>
 * for the partial TTL, whatever their ticks say. A tick that lacks a fresh partial from some task (none for that
 * tick and none arrived in the last five seconds: its instance died and the task is moving, or it was just restored)
 * is still published, with that task's last share, but records no high/low reading: a frozen share must not
 * stay in high/low for an hour.
 */
public final class StatsCombiner implements Processor<String, Partial, String, CombinerOutput> {
    static final String LAST_EMITTED_TICK = "last-emitted-tick";
    static final String WAS_RECENT = "was-recent";
    private static final long INTERVAL_MS = Ticks.INTERVAL.toMillis();
    /**
     * A task whose latest partial arrived longer ago than this, and is not for the tick, makes a tick record no
     * reading. Long enough for a task that is only late (a loaded machine, a transaction still open), far shorter
     * than the ~10 s in which a dead instance's tasks move.
     */
    static final long FRESH_MS = 5 * INTERVAL_MS;
    /**
     * How many missed ticks a catch-up emits before the tick due, at most (a minute): enough for any stall of the
     * stream thread or move of the combiner's task; after a longer outage the older ones are skipped (and counted),
     * rather than publishing a flood of ticks that all carry the same late figures.
     */
    static final int MAX_MISSED_TICKS = 60;

    private final MeteringConfig config;
    private final int sessionTasks;
    /** Each task's latest report; its partial is also in the {@code partials} store, its arrival is not. */
    private final Map<String, Report> latest = new HashMap<>();
    private ProcessorContext<String, CombinerOutput> context;
    private InsightsWindow insights;
    /** folded-labels of models and tenants, from the groups (window minute) and from the hour's minutes (window hour). */
    private final Map<Insight.Group, Sensor> foldedFromGroups = new EnumMap<>(Insight.Group.class);
    private final Map<Insight.Group, Sensor> foldedFromHour = new EnumMap<>(Insight.Group.class);
    private KeyValueStore<String, Partial> partials;
    private KeyValueStore<String, Long> progress;
    private HourOfReadings readings;
    private Cancellable fallback;
    private Sensor futurePartials;
    private Sensor skippedTicks;
    private long lastEmittedTick;
    private long coldStartTick = Long.MIN_VALUE;
    private boolean wasRecent;
    private boolean commitEachTick;

    /** A combiner that does not know how many session tasks there are: it publishes from the first to report. */
    public StatsCombiner(MeteringConfig config) {
        this(config, 0);
    }

    /**
     * @param sessionTasks how many session tasks report to this combiner (the input topic's partition count,
     *                     read by the process bootstrap), so that on a cold start it waits for all of them
     *                     instead of publishing the share of the first to report; 0 when unknown
     */
    public StatsCombiner(MeteringConfig config, int sessionTasks) {
        if (sessionTasks < 0) {
            throw new IllegalArgumentException("sessionTasks must not be negative, got " + sessionTasks);
        }
        this.sessionTasks = sessionTasks;
        this.config = config;
    }

    @Override
    public void init(ProcessorContext<String, CombinerOutput> context) {
        this.context = context;
        this.insights = new InsightsWindow(config.insightsMaxLabels(), config.sloObjectives());
        for (Insight.Group breakdown : List.of(Insight.Group.MODEL, Insight.Group.TENANT)) {
            String label = breakdown.wireName();
            foldedFromGroups.put(breakdown, MeteringMetrics.taggedRateTotalSensor(context.metrics(), context.taskId().toString(),
                    MeteringMetrics.FOLDED_LABELS, MeteringMetrics.FOLDED_LABELS_DESCRIPTION,
                    MeteringMetrics.BREAKDOWN_TAG, label, MeteringMetrics.WINDOW_TAG, "minute"));
            foldedFromHour.put(breakdown, MeteringMetrics.taggedRateTotalSensor(context.metrics(), context.taskId().toString(),
                    MeteringMetrics.FOLDED_LABELS, MeteringMetrics.FOLDED_LABELS_DESCRIPTION,
                    MeteringMetrics.BREAKDOWN_TAG, label, MeteringMetrics.WINDOW_TAG, "hour"));
        }
        this.partials = context.getStateStore(StoreNames.PARTIALS);
        this.progress = context.getStateStore(StoreNames.COMBINER_STATE);
        this.commitEachTick = MeteringTopology.exactlyOnce(context.appConfigs());
        this.futurePartials = context.metrics().addRateTotalSensor(MeteringMetrics.SCOPE, context.taskId().toString(),
                MeteringMetrics.FUTURE_PARTIALS, Sensor.RecordingLevel.INFO);
        this.skippedTicks = MeteringMetrics.rateSumSensor(context.metrics(), context.taskId().toString(),
                MeteringMetrics.SKIPPED_TICKS, "ticks skipped by a catch-up longer than " + MAX_MISSED_TICKS + " ticks");
        long now = context.currentSystemTimeMs();
        long nowTick = Ticks.tickOf(now);
        KeyValueStore<Long, Double> readingStore = context.getStateStore(StoreNames.READINGS);
        this.readings = new HourOfReadings(readingStore, config.hourWindowMs());
        // State from the future (written by an earlier version that trusted a partial an hour ahead) is brought
        // back to this clock; a lead within metering.max.future.ms is an ordinary skew between the instance that
        // wrote it and this one, and is kept: clamping it would publish the ticks in between a second time.
        long farAhead = nowTick + config.maxFutureMs();
        readings.forgetAfter(farAhead);
        latest.clear();
        coldStartTick = Long.MIN_VALUE;
        try (KeyValueIterator<String, Partial> it = partials.all()) {
            it.forEachRemaining(kv -> latest.put(kv.key, Report.restored(notAhead(kv.value, nowTick), now)));
        }
        Long last = progress.get(LAST_EMITTED_TICK);
        lastEmittedTick = last == null ? Long.MIN_VALUE : last > farAhead ? nowTick : last;
        Long recent = progress.get(WAS_RECENT);
        wasRecent = recent != null && recent == 1L;
        fallback = context.schedule(Ticks.nextAnchor(now, config.combinerGraceMs()), Ticks.INTERVAL,
                PunctuationType.WALL_CLOCK_TIME, this::emitLateTick);
    }

    @Override
    public void process(Record<String, Partial> record) {
        String task = record.key();
        long now = context.currentSystemTimeMs();
        long nowTick = Ticks.tickOf(now);
        Partial p = record.value();
        if (p.tick() > nowTick + INTERVAL_MS) {
            futurePartials.record(); // a second's lead is clock skew between instances; more is a wrong clock
            p = notAhead(p, nowTick);
        }
        Report previous = latest.get(task);
        if (previous != null && previous.partial().tick() > p.tick()) {
            return; // a replay of an older report
        }
        latest.put(task, new Report(p, now, true));
        partials.put(task, p);
        insights.add(task, p);
        if (isCurrent(p.tick(), nowTick) && p.tick() > lastEmittedTick && allTasksReported(p.tick(), now)) {
            emitCatchingUp(p.tick(), now);
        }
    }

    /**
     * The fast path emits only the combiner's current or previous tick: never one ahead of its clock, nor an old
     * one that a task with a lagging clock dates its partials with (those ticks are left to the fallback).
     */
    private static boolean isCurrent(long tick, long nowTick) {
        return tick <= nowTick && tick >= nowTick - INTERVAL_MS;
    }

    /** The partial with its tick brought back to {@code nowTick} when it is ahead of it. */
    private static Partial notAhead(Partial p, long nowTick) {
        return p.tick() <= nowTick ? p : p.at(nowTick);
    }

    private boolean allTasksReported(long tick, long now) {
        if (latest.size() < sessionTasks) {
            return false; // a task has never reported: wait for it (or for the grace deadline)
        }
        for (Report r : latest.values()) {
            if (r.partial().tick() < tick && !r.isSilent(now, config.partialTtlMs())) {
                return false;
            }
        }
        return true;
    }

    /**
     * Wall-clock fallback, {@code grace} ms after each tick fires: emits the tick just passed if it is still due, and
     * any missed before it (after a stall this punctuation runs once, late, for all the seconds it missed).
     */
    void emitLateTick(long wallClockMs) {
        long tick = Ticks.tickFiredAt(wallClockMs - config.combinerGraceMs());
        if (tick > lastEmittedTick && !warmingUp(tick)) {
            emitCatchingUp(tick, context.currentSystemTimeMs());
        }
    }

    /**
     * Emits the ticks missed since the last emitted one, oldest first (the last {@link #MAX_MISSED_TICKS}, the older
     * ones counted in {@code skipped-ticks}), then {@code tick}. Each carries what the combiner has now: every task's
     * latest partial, a reading only where each share is fresh for that tick. Nothing to catch up on a cold start.
     */
    private void emitCatchingUp(long tick, long now) {
        if (lastEmittedTick != Long.MIN_VALUE) {
            long first = lastEmittedTick + INTERVAL_MS;
            long oldestKept = tick - MAX_MISSED_TICKS * INTERVAL_MS;
            if (first < oldestKept) {
                skippedTicks.record((oldestKept - first) / INTERVAL_MS);
                first = oldestKept;
            }
            for (long missed = first; missed < tick; missed += INTERVAL_MS) {
                emit(missed, now);
            }
        }
        emit(tick, now);
    }

    /**
     * On a cold start (nothing emitted yet) with fewer tasks heard from than there are, the stats would be
     * one task's share, and its readings would stay in high/low for an hour: hold them back until every
     * task has reported, or for at most the partial TTL (a task may really be down).
     */
    private boolean warmingUp(long tick) {
        if (lastEmittedTick != Long.MIN_VALUE || latest.size() >= sessionTasks) {
            return false;
        }
        if (coldStartTick == Long.MIN_VALUE) {
            coldStartTick = tick;
        }
        return tick - coldStartTick < config.partialTtlMs();
    }

    private void emit(long tick, long now) {
        forgetSilentTasks(now);
        GlobalMean mean = new GlobalMean();
        long active = 0;
        boolean recent = false;
        boolean allFresh = true;
        for (Report r : latest.values()) {
            Partial p = r.partial();
            mean.addPart(p.tpsSum(), p.tpsCount());
            active += p.active();
            recent |= p.recent();
            allFresh &= r.isFresh(tick, now);
        }
        double globalTps = mean.value();
        readings.prune(tick);
        if (allFresh) {
            readings.record(tick, globalTps);
        }
        boolean statsDue = Emission.due(recent, wasRecent);
        if (statsDue) {
            Stats stats = new Stats(rounded(globalTps), !Double.isNaN(globalTps), false,
                    rounded(readings.high()), rounded(readings.low()), active, tick);
            context.forward(new Record<>(Topics.STATS_KEY, new CombinerOutput.StatsRecord(stats), tick));
        }
        emitInsights(tick, statsDue);
        wasRecent = recent;
        lastEmittedTick = tick;
        progress.put(LAST_EMITTED_TICK, tick);
        progress.put(WAS_RECENT, recent ? 1L : 0L);
        if (commitEachTick) {
            context.commit(); // exactly-once: read_committed consumers see the stats record now
        }
    }

    /**
     * The insights of the tick, one record per group, after its stats record: on the stats' ticks and, after the
     * stats' idle record, on until the insights' own idle record ({@link InsightsWindow#emit}).
     */
    private void emitInsights(long tick, boolean statsDue) {
        List<Partial> shares = new ArrayList<>(latest.size());
        for (Report r : latest.values()) {
            shares.add(r.partial());
        }
        for (Insight i : insights.emit(tick, shares, statsDue)) {
            context.forward(new Record<>(i.key(), new CombinerOutput.InsightRecord(i), tick));
        }
        for (Insight.Group breakdown : foldedFromGroups.keySet()) {
            for (long f = insights.takeFolded(breakdown); f > 0; f--) {
                foldedFromGroups.get(breakdown).record();
            }
            for (long f = insights.takeFoldedFromHour(breakdown); f > 0; f--) {
                foldedFromHour.get(breakdown).record();
            }
        }
    }

    /** Drops the share of tasks that went silent. */
    private void forgetSilentTasks(long now) {
        Iterator<Map.Entry<String, Report>> it = latest.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Report> e = it.next();
            if (e.getValue().isSilent(now, config.partialTtlMs())) {
                partials.delete(e.getKey());
                insights.forget(e.getKey());
                it.remove();
            }
        }
    }

    /**
     * A task's latest partial and when it arrived on this combiner's clock.
     *
     * @param heard false for a partial restored from the store and not yet followed by a live one
     */
    private record Report(Partial partial, long arrivedAt, boolean heard) {
        /** A restored partial: the task counts as heard from at restore (for silence), but its share is not fresh. */
        static Report restored(Partial p, long now) {
            return new Report(p, now, false);
        }

        /** None of the task's partials has arrived for the TTL: it has gone away (or is being moved). */
        boolean isSilent(long now, long ttlMs) {
            return now - arrivedAt > ttlMs;
        }

        /**
         * Whether the share is current enough for a high/low reading at {@code tick}: the partial is for that tick,
         * or one arrived within the last {@link #FRESH_MS} (a task that is a little late, or whose clock lags, still
         * reports every second; a dead one does not).
         */
        boolean isFresh(long tick, long now) {
            return heard && (partial.tick() >= tick || now - arrivedAt <= FRESH_MS);
        }
    }

    /** The seed's {@code round(x, 1) if x else None}, with NaN standing for None. */
    private static Double rounded(double x) {
        return Double.isNaN(x) ? null : PythonRound.oneDecimal(x);
    }

    @Override
    public void close() {
        if (fallback != null) {
            fallback.cancel();
        }
        if (futurePartials != null) {
            context.metrics().removeSensor(futurePartials);
        }
        if (skippedTicks != null) {
            context.metrics().removeSensor(skippedTicks);
        }
        foldedFromGroups.values().forEach(context.metrics()::removeSensor);
        foldedFromHour.values().forEach(context.metrics()::removeSensor);
        foldedFromGroups.clear();
        foldedFromHour.clear();
        latest.clear();
    }
}
