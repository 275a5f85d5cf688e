package dev.llmmeter.topology.insights;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The one folding rule of the insights labels, tick by tick. */
class LabelSlotsTest {

    private static List<String> admitted(LabelSlots slots, String... labels) {
        return java.util.Arrays.stream(labels).filter(slots::has).toList();
    }

    @Test
    void slotsGoInTheOrderTheLabelsWereFirstSeenNotByName() {
        LabelSlots slots = new LabelSlots(2);
        slots.seen("c");
        slots.seen("a");
        slots.seen("b");
        slots.update(Set.of("a", "b", "c"));
        assertEquals(List.of("a", "c"), admitted(slots, "a", "b", "c"));
        assertEquals(1, slots.takeRefused());
    }

    @Test
    void aRefusalIsCountedOncePerLabelNotAtEveryTickItStaysFolded() {
        LabelSlots slots = new LabelSlots(1);
        slots.seen("a");
        slots.seen("b");
        for (int tick = 0; tick < 5; tick++) {
            slots.update(Set.of("a", "b"));
        }
        assertEquals(List.of("a"), admitted(slots, "a", "b"));
        assertEquals(1, slots.takeRefused());
        assertEquals(0, slots.takeRefused());
    }

    @Test
    void aLabelKeepsItsSlotWhileItIsPresentAndAFreedSlotGoesToTheLongestWaiting() {
        LabelSlots slots = new LabelSlots(1);
        slots.seen("a");
        slots.seen("b");
        slots.update(Set.of("a", "b"));
        slots.seen("c"); // arrives while a still holds the slot
        slots.update(Set.of("a", "b", "c"));
        assertEquals(List.of("a"), admitted(slots, "a", "b", "c"));
        slots.update(Set.of("b", "c")); // a is empty: its slot is free
        assertEquals(List.of("b"), admitted(slots, "a", "b", "c"), "b waited longer than c");
        assertEquals(2, slots.takeRefused(), "b and c, once each");
    }

    @Test
    void aLabelThatEmptiesAndComesBackIsSeenAnew() {
        LabelSlots slots = new LabelSlots(1);
        slots.seen("a");
        slots.seen("b");
        slots.update(Set.of("a", "b"));
        slots.update(Set.of("a"));
        slots.seen("b");
        slots.update(Set.of("a", "b"));
        assertEquals(List.of("a"), admitted(slots, "a", "b"));
        assertEquals(2, slots.takeRefused(), "b refused again when it came back");
    }

    @Test
    void labelsPresentButNeverSeenArriveTakeTheOrderGiven() {
        LabelSlots slots = new LabelSlots(1); // a combiner just restored: its partials were not seen arriving
        slots.update(new java.util.TreeSet<>(Set.of("b", "a")));
        assertEquals(List.of("a"), admitted(slots, "a", "b"));
    }
}
