package dev.llmmeter.serve.feed;

import dev.llmmeter.contract.Topics;

/**
 * The topics serve reads. {@code metering.streams} and {@code metering.insights} (issue 11) are being added
 * to the contract's {@link Topics}; once they are there these two constants should point at them.
 */
public final class ServeTopics {
    public static final String STATS = Topics.STATS;
    public static final String INSIGHTS = "metering.insights";
    public static final String STREAMS = "metering.streams";

    private ServeTopics() {
    }
}
