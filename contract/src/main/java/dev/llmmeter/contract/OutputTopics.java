package dev.llmmeter.contract;

/**
 * The topology's three once-a-second outputs under the names a deployment gives them: what {@code serve} and
 * {@code tail} read.
 */
public record OutputTopics(Topic<String, Stats> stats, Topic<String, Insight> insights, Topic<String, StreamStatus> streams) {
    /** Under their default names. */
    public static final OutputTopics DEFAULTS = new OutputTopics(Topics.STATS, Topics.INSIGHTS, Topics.STREAMS);

    /** The outputs under configured names, each with its serdes. */
    public static OutputTopics named(String stats, String insights, String streams) {
        return new OutputTopics(Topics.STATS.named(stats), Topics.INSIGHTS.named(insights), Topics.STREAMS.named(streams));
    }

    @Override
    public String toString() {
        return stats.name() + ", " + insights.name() + " and " + streams.name();
    }
}
