package dev.llmmeter.serve.feed;

import dev.llmmeter.contract.Topics;

/**
 * The topics serve reads: the topology's outputs, under the names the deployment gives them
 * ({@code metering.topic.stats}, {@code .insights}, {@code .streams}).
 */
public record ServeTopics(String stats, String insights, String streams) {
    public static final ServeTopics DEFAULTS = new ServeTopics(Topics.STATS.name(), Topics.INSIGHTS.name(), Topics.STREAMS.name());
}
