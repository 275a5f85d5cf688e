package dev.llmmeter.topology.insights;

import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Which labels of one breakdown (models, or tenants) have a group of their own: the one folding rule, kept by the
 * combiner, which sees every task.
 *
 * <ul>
 *   <li>A label holds a slot from when it gets one until it is empty: no live session and nothing in the last
 *       minute's windows, in any task. Then the slot is free again.</li>
 *   <li>At most {@code slots} labels hold one. Free slots go to the labels without one in the order the combiner
 *       first saw them (by the partials' arrival, each partial listing its labels in the order its task first saw
 *       them), so a label waiting in {@code other} gets the next free slot before a newer one.</li>
 *   <li>A label without a slot counts in {@code other}, all of it; a label with one, all of it in its own group.</li>
 *   <li>A refusal is counted once per label, when the label is first seen and no slot is free: not at every tick it
 *       stays folded. A label that empties and comes back is seen anew.</li>
 * </ul>
 * What is held is bounded by the labels the combiner has seen non-empty in the last minute.
 */
final class LabelSlots {
    private enum State { NEW, ADMITTED, FOLDED }

    private final int slots;
    /** Non-empty labels, in the order first seen. */
    private final Map<String, State> labels = new LinkedHashMap<>();
    private int admitted;
    private long refused;

    LabelSlots(int slots) {
        this.slots = slots;
    }

    /** A label has arrived in a partial: it takes its place in the order, if it has none. */
    void seen(String label) {
        labels.putIfAbsent(label, State.NEW);
    }

    /**
     * At a tick: labels not in {@code present} give up their place; the present ones not seen yet (restored
     * partials) are seen now, in the order given; then free slots go to the labels without one, in order.
     *
     * @param present the labels with a live session or something in the windows at the tick
     */
    void update(Collection<String> present) {
        Set<String> now = present instanceof Set<String> set ? set : Set.copyOf(present);
        Iterator<Map.Entry<String, State>> it = labels.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, State> e = it.next();
            if (!now.contains(e.getKey())) {
                if (e.getValue() == State.ADMITTED) {
                    admitted--;
                }
                it.remove();
            }
        }
        for (String label : present) {
            seen(label);
        }
        for (Map.Entry<String, State> e : labels.entrySet()) {
            if (e.getValue() == State.ADMITTED) {
                continue;
            }
            if (admitted < slots) {
                e.setValue(State.ADMITTED);
                admitted++;
            } else if (e.getValue() == State.NEW) {
                e.setValue(State.FOLDED);
                refused++;
            }
        }
    }

    /** Whether the label has a slot (as of the last {@link #update}). */
    boolean has(String label) {
        return labels.get(label) == State.ADMITTED;
    }

    /** Labels refused a slot since the last call. */
    long takeRefused() {
        long r = refused;
        refused = 0;
        return r;
    }
}
