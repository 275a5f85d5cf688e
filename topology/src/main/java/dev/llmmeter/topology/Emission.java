package dev.llmmeter.topology;

/**
 * When a tick is published: the seed's ticker runs at 1 Hz while {@code get_interval()} is 1.0 (some session had a
 * delta within the stale window) and exits when it turns 10.0, after the stats call of that last round. So a stats
 * record goes out at every tick while streams are active, and once more at the first tick after they stop, so
 * consumers see the idle state; while idle, nothing.
 */
public final class Emission {
    private Emission() {
    }

    /**
     * @param active    whether some session had a delta within the stale window at this tick
     * @param wasActive whether that was so at the previous emitted tick
     */
    public static boolean due(boolean active, boolean wasActive) {
        return active || wasActive;
    }
}
