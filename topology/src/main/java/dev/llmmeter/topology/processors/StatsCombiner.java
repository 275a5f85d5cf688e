package dev.llmmeter.topology.processors;

import dev.llmmeter.contract.Stats;
import dev.llmmeter.contract.Topics;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.MeteringStreamsConfig;
import dev.llmmeter.topology.PythonRound;
import dev.llmmeter.topology.StoreNames;
import dev.llmmeter.topology.Ticks;
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

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The single global stage: combines the latest {@link Partial} of every session task into one
 * {@link Stats} per tick, and owns the hour of readings.
 *
 * <p>A tick is emitted as soon as every known task has reported it, or at {@code grace} ms past the
 * tick's fire time with what has arrived by then (a slow task counts with its previous partial). The
 * last emitted tick is stored, so no tick is ever emitted twice, restarts included.
 *
 * <p>The combiner trusts its own clock, not the ticks the partials carry: it never emits a tick ahead of its
 * own clock; a partial dated more than a second ahead (an instance with a bad clock) is taken as the current
 * tick's and counted in {@code future-partials}; a task is silent when none of its partials has <em>arrived</em>
 * for the partial TTL, whatever their ticks say. A tick that lacks a fresh partial from some task (one is late,
 * or its instance died and the task is moving) is still published, with that task's last share, but records no
 * high/low reading: a frozen or missing share must not stay in high/low for an hour.
 */
public final class StatsCombiner implements Processor<String, Partial, String, Stats> {
    static final String LAST_EMITTED_TICK = "last-emitted-tick";
    static final String WAS_RECENT = "was-recent";
    private static final long INTERVAL_MS = Ticks.INTERVAL.toMillis();

    private final MeteringConfig config;
    private final Map<String, Partial> latest = new HashMap<>();
    /** When each task's latest partial arrived, on this combiner's clock (not stored: restored ones count as arrived at restore). */
    private final Map<String, Long> arrivedAt = new HashMap<>();
    private ProcessorContext<String, Stats> context;
    private KeyValueStore<String, Partial> partials;
    private KeyValueStore<String, Long> progress;
    private HourOfReadings readings;
    private Cancellable fallback;
    private Sensor futurePartials;
    private long lastEmittedTick;
    private long coldStartTick = Long.MIN_VALUE;
    private boolean wasRecent;
    private boolean commitEachTick;

    public StatsCombiner(MeteringConfig config) {
        this.config = config;
    }

    @Override
    public void init(ProcessorContext<String, Stats> context) {
        this.context = context;
        this.partials = context.getStateStore(StoreNames.PARTIALS);
        this.progress = context.getStateStore(StoreNames.COMBINER_STATE);
        this.commitEachTick = MeteringStreamsConfig.exactlyOnce(context.appConfigs());
        this.futurePartials = context.metrics().addRateTotalSensor(MeteringMetrics.SCOPE, context.taskId().toString(),
                MeteringMetrics.FUTURE_PARTIALS, Sensor.RecordingLevel.INFO);
        long now = context.currentSystemTimeMs();
        long nowTick = Ticks.tickOf(now);
        KeyValueStore<Long, Double> readingStore = context.getStateStore(StoreNames.READINGS);
        this.readings = new HourOfReadings(readingStore, config.hourWindowMs());
        readings.forgetAfter(nowTick); // written by an earlier version that trusted a partial from the future
        latest.clear();
        arrivedAt.clear();
        coldStartTick = Long.MIN_VALUE;
        try (KeyValueIterator<String, Partial> it = partials.all()) {
            it.forEachRemaining(kv -> {
                latest.put(kv.key, notAhead(kv.value, nowTick));
                arrivedAt.put(kv.key, now);
            });
        }
        Long last = progress.get(LAST_EMITTED_TICK);
        lastEmittedTick = last == null ? Long.MIN_VALUE : Math.min(last, nowTick);
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
        Partial previous = latest.get(task);
        if (previous != null && previous.tick() > p.tick()) {
            return; // a replay of an older report
        }
        latest.put(task, p);
        arrivedAt.put(task, now);
        partials.put(task, p);
        if (p.tick() > lastEmittedTick && p.tick() <= nowTick && allTasksReported(p.tick(), now)) {
            emit(p.tick(), now);
        }
    }

    /** The partial with its tick brought back to {@code nowTick} when it is ahead of it. */
    private static Partial notAhead(Partial p, long nowTick) {
        return p.tick() <= nowTick ? p : new Partial(nowTick, p.tpsSum(), p.tpsCount(), p.active(), p.recent());
    }

    private boolean allTasksReported(long tick, long now) {
        if (latest.size() < config.sessionTasks()) {
            return false; // a task has never reported: wait for it (or for the grace deadline)
        }
        for (Map.Entry<String, Partial> e : latest.entrySet()) {
            if (e.getValue().tick() < tick && !isSilent(e.getKey(), now)) {
                return false;
            }
        }
        return true;
    }

    /** A task none of whose partials has arrived for the partial TTL has gone away (or is being moved). */
    private boolean isSilent(String task, long now) {
        return now - arrivedAt.get(task) > config.partialTtlMs();
    }

    /** Wall-clock fallback, {@code grace} ms after each tick fires: emits the tick just passed if it is still due. */
    void emitLateTick(long wallClockMs) {
        long tick = Ticks.tickFiredAt(wallClockMs - config.combinerGraceMs());
        if (tick > lastEmittedTick && !warmingUp(tick)) {
            emit(tick, context.currentSystemTimeMs());
        }
    }

    /**
     * On a cold start (nothing emitted yet) with fewer tasks heard from than there are, the stats would be
     * one task's share, and its readings would stay in high/low for an hour: hold them back until every
     * task has reported, or for at most the partial TTL (a task may really be down).
     */
    private boolean warmingUp(long tick) {
        if (lastEmittedTick != Long.MIN_VALUE || latest.size() >= config.sessionTasks()) {
            return false;
        }
        if (coldStartTick == Long.MIN_VALUE) {
            coldStartTick = tick;
        }
        return tick - coldStartTick < config.partialTtlMs();
    }

    private void emit(long tick, long now) {
        forgetSilentTasks(now);
        double tpsSum = 0;
        long tpsCount = 0;
        long active = 0;
        boolean recent = false;
        boolean allFresh = true;
        for (Partial p : latest.values()) {
            tpsSum += p.tpsSum();
            tpsCount += p.tpsCount();
            active += p.active();
            recent |= p.recent();
            allFresh &= p.tick() >= tick;
        }
        double globalTps = tpsCount > 0 ? tpsSum / tpsCount : Double.NaN;
        readings.prune(tick);
        if (globalTps > 0 && allFresh) {
            readings.add(tick, globalTps);
        }
        if (recent || wasRecent) {
            Stats stats = new Stats(rounded(globalTps), !Double.isNaN(globalTps), false,
                    rounded(readings.high()), rounded(readings.low()), active, tick);
            context.forward(new Record<>(Topics.STATS_KEY, stats, tick));
        }
        wasRecent = recent;
        lastEmittedTick = tick;
        progress.put(LAST_EMITTED_TICK, tick);
        progress.put(WAS_RECENT, recent ? 1L : 0L);
        if (commitEachTick) {
            context.commit(); // exactly-once: read_committed consumers see the stats record now
        }
    }

    /** Drops the share of tasks that went silent. */
    private void forgetSilentTasks(long now) {
        Iterator<Map.Entry<String, Partial>> it = latest.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Partial> e = it.next();
            if (isSilent(e.getKey(), now)) {
                partials.delete(e.getKey());
                arrivedAt.remove(e.getKey());
                it.remove();
            }
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
        latest.clear();
        arrivedAt.clear();
    }
}
