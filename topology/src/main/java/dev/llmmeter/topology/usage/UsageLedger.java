package dev.llmmeter.topology.usage;

import dev.llmmeter.contract.Usage;
import dev.llmmeter.topology.MeteringConfig;
import dev.llmmeter.topology.StoreNames;
import dev.llmmeter.topology.Ticks;
import dev.llmmeter.topology.processors.MeteringMetrics;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Value;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The usage ledger: sums each (tenant, model)'s {@link UsageItem}s in tumbling minute and hour windows by event time,
 * and publishes one {@link Usage} per window when it closes, keyed by its id. The rules, each in one method:
 * <ul>
 *   <li>{@link #isDuplicate}: a stream is billed once; its id is remembered {@code metering.usage.dedupe.ms} on the
 *   meter's clock, at most {@code metering.usage.dedupe.max.ids} ids (the oldest forgotten early, counted);</li>
 *   <li>{@link #closeThrough}: a window closes once its end plus {@code metering.usage.grace.ms} is reached by the
 *   ledger's stream time (the newest event time it saw) or by the meter's clock (checked every second), whichever
 *   comes first, so a quiet (tenant, model) does not hold its windows open;</li>
 *   <li>{@link #bill}: a request for a window already closed is billed at once in an amendment: a record of its own
 *   (id {@link Usage#amendmentId}) whose {@code amends} is the window's id.</li>
 * </ul>
 * All state is in changelogged stores (open and published windows, billed stream ids, the close watermark), mirrored
 * in memory and rebuilt in {@link #init}, so a restart or a moved task neither loses a window nor bills twice.
 */
public final class UsageLedger implements Processor<String, UsageItem, String, Usage> {
    /** Key of the close watermark in the {@code usage-ledger-state} store. */
    static final String CLOSED_THROUGH = "closed-through";

    private final MeteringConfig config;
    private String source;
    private final Map<String, UsageWindow> windows = new HashMap<>();
    /** Billed stream id -> meter time it was billed, oldest first. */
    private final LinkedHashMap<String, Long> billed = new LinkedHashMap<>();
    private ProcessorContext<String, Usage> context;
    private KeyValueStore<String, UsageWindow> windowStore;
    private KeyValueStore<String, Long> billedStore;
    private KeyValueStore<String, Long> stateStore;
    /** Every window whose end plus grace is at or before this is closed. */
    private long closedThrough = Long.MIN_VALUE;
    /** The earliest end plus grace among the open windows: nothing to close before it. */
    private long nextClose = Long.MAX_VALUE;
    private Cancellable clock;
    private Sensor late;
    private Sensor duplicate;
    private Sensor dedupeEvicted;
    private Sensor openWindows;
    private String taskId;

    public UsageLedger(MeteringConfig config) {
        this.config = config;
    }

    /** The CloudEvents {@code source} of an application's ledger records. */
    public static String source(String applicationId) {
        return "/llm-metering/" + applicationId;
    }

    @Override
    public void init(ProcessorContext<String, Usage> context) {
        this.context = context;
        source = source(context.applicationId());
        windowStore = context.getStateStore(StoreNames.USAGE_WINDOWS);
        billedStore = context.getStateStore(StoreNames.USAGE_BILLED);
        stateStore = context.getStateStore(StoreNames.USAGE_LEDGER_STATE);
        Long c = stateStore.get(CLOSED_THROUGH);
        closedThrough = c == null ? Long.MIN_VALUE : c;
        windows.clear();
        try (KeyValueIterator<String, UsageWindow> it = windowStore.all()) {
            it.forEachRemaining(kv -> windows.put(kv.key, kv.value));
        }
        billed.clear();
        List<Map.Entry<String, Long>> ids = new ArrayList<>();
        try (KeyValueIterator<String, Long> it = billedStore.all()) {
            it.forEachRemaining(kv -> ids.add(Map.entry(kv.key, kv.value)));
        }
        ids.sort(Map.Entry.comparingByValue(Comparator.naturalOrder()));
        ids.forEach(e -> billed.put(e.getKey(), e.getValue()));
        taskId = context.taskId().toString();
        StreamsMetrics metrics = context.metrics();
        late = sensor(metrics, MeteringMetrics.LATE_USAGE);
        duplicate = sensor(metrics, MeteringMetrics.DUPLICATE_USAGE);
        dedupeEvicted = sensor(metrics, MeteringMetrics.USAGE_DEDUPE_EVICTIONS);
        openWindows = metrics.addSensor(taskId + "." + MeteringMetrics.OPEN_USAGE_WINDOWS, Sensor.RecordingLevel.INFO);
        openWindows.add(new MetricName(MeteringMetrics.OPEN_USAGE_WINDOWS, MeteringMetrics.GROUP,
                "The usage windows open on this ledger task", Map.of("metering-id", taskId)), new Value());
        recomputeNextClose();
        long now = context.currentSystemTimeMs();
        clock = context.schedule(Ticks.INTERVAL, PunctuationType.WALL_CLOCK_TIME, this::onClock);
        onClock(now);
    }

    private Sensor sensor(StreamsMetrics metrics, String op) {
        return metrics.addRateTotalSensor(MeteringMetrics.SCOPE, taskId, op, Sensor.RecordingLevel.INFO);
    }

    @Override
    public void process(Record<String, UsageItem> record) {
        UsageItem item = record.value();
        if (item == null) {
            return;
        }
        if (isDuplicate(item.streamId())) {
            duplicate.record();
            return;
        }
        remember(item.streamId(), context.currentSystemTimeMs());
        String ledgerKey = item.ledgerKey();
        for (Usage.Window w : Usage.Window.values()) {
            bill(item, ledgerKey, w);
        }
        closeThrough(item.eventTime());
    }

    /** Whether this stream was billed within the de-duplication memory. */
    boolean isDuplicate(String streamId) {
        return billed.containsKey(streamId);
    }

    private void remember(String streamId, long now) {
        billed.put(streamId, now);
        billedStore.put(streamId, now);
        while (billed.size() > config.usageDedupeMaxIds()) {
            Iterator<String> oldest = billed.keySet().iterator();
            billedStore.put(oldest.next(), null);
            oldest.remove();
            dedupeEvicted.record();
        }
    }

    /** Forgets the billed ids older than the de-duplication memory. */
    private void enforceDedupeTtl(long now) {
        Iterator<Map.Entry<String, Long>> it = billed.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Long> e = it.next();
            if (e.getValue() > now - config.usageDedupeMs()) {
                break;
            }
            billedStore.put(e.getKey(), null);
            it.remove();
        }
    }

    /** Adds the request to its window, or, the window being closed already, bills it in an amendment. */
    private void bill(UsageItem item, String ledgerKey, Usage.Window w) {
        long start = w.startOf(item.eventTime());
        String key = UsageWindow.key(w, start, ledgerKey);
        UsageWindow window = windows.get(key);
        boolean closed = start + w.sizeMs() + config.usageGraceMs() <= closedThrough;
        if (closed) {
            late.record();
            if (window == null && start + w.sizeMs() + config.usageGraceMs() + config.usageDedupeMs() > closedThrough) {
                // The window had nothing when it closed: this request is its first record.
                window = new UsageWindow(item.tenant(), item.model(), w, start);
                window.add(item);
                publish(key, window);
                return;
            }
            // Published (or closed so long ago that the ledger forgot it, and with it whether it was published).
            UsageWindow of = window != null ? window : new UsageWindow(item.tenant(), item.model(), w, start);
            Usage amendment = of.amendment(source, item);
            context.forward(new Record<>(amendment.id(), amendment, timestamp(of)));
            return;
        }
        if (window == null) {
            window = new UsageWindow(item.tenant(), item.model(), w, start);
            windows.put(key, window);
            nextClose = Math.min(nextClose, closeAt(window));
        }
        window.add(item);
        windowStore.put(key, window);
    }

    private void publish(String key, UsageWindow window) {
        Usage usage = window.record(source);
        context.forward(new Record<>(usage.id(), usage, timestamp(window)));
        window.published = true;
        windows.put(key, window);
        windowStore.put(key, window);
    }

    /**
     * A record's Kafka timestamp: its window's end, or the meter's clock where that is earlier (a window closed by
     * producers' clocks running ahead of the meter's): a broker refuses records dated over an hour ahead by default.
     */
    private long timestamp(UsageWindow w) {
        return Math.min(w.end(), context.currentSystemTimeMs());
    }

    private long closeAt(UsageWindow w) {
        return w.end() + config.usageGraceMs();
    }

    /** The meter's clock: closes what its time has reached, forgets old billed ids and published windows. */
    void onClock(long now) {
        enforceDedupeTtl(now);
        closeThrough(now);
        openWindows.record(openCount());
    }

    /**
     * Closes every open window whose end plus grace is at or before {@code time}, in order of their ends, and
     * forgets published windows whose amendments are past the de-duplication memory as well.
     */
    void closeThrough(long time) {
        if (time <= closedThrough) {
            return;
        }
        closedThrough = time;
        stateStore.put(CLOSED_THROUGH, time);
        if (time < nextClose) {
            return;
        }
        List<Map.Entry<String, UsageWindow>> due = new ArrayList<>();
        Iterator<Map.Entry<String, UsageWindow>> it = windows.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, UsageWindow> e = it.next();
            UsageWindow w = e.getValue();
            if (w.published) {
                if (closeAt(w) + config.usageDedupeMs() <= time) {
                    it.remove();
                    windowStore.put(e.getKey(), null);
                }
            } else if (closeAt(w) <= time) {
                due.add(e);
            }
        }
        due.sort(Comparator.comparingLong((Map.Entry<String, UsageWindow> e) -> e.getValue().end())
                .thenComparing(Map.Entry::getKey));
        for (Map.Entry<String, UsageWindow> e : due) {
            publish(e.getKey(), e.getValue());
        }
        recomputeNextClose();
    }

    private void recomputeNextClose() {
        long next = Long.MAX_VALUE;
        for (UsageWindow w : windows.values()) {
            next = Math.min(next, w.published ? closeAt(w) + config.usageDedupeMs() : closeAt(w));
        }
        nextClose = next;
    }

    private int openCount() {
        int n = 0;
        for (UsageWindow w : windows.values()) {
            if (!w.published) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() {
        if (clock != null) {
            clock.cancel();
        }
        if (context != null && late != null) {
            StreamsMetrics metrics = context.metrics();
            metrics.removeSensor(late);
            metrics.removeSensor(duplicate);
            metrics.removeSensor(dedupeEvicted);
            metrics.removeSensor(openWindows);
        }
        windows.clear();
        billed.clear();
    }
}
