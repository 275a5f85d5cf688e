package dev.llmmeter.topology.insights;

import dev.llmmeter.contract.Insight;
import dev.llmmeter.contract.Topics;

/** Insights record keys: {@code global}, {@code model:NAME}, {@code tenant:NAME}; and labels folded past the bound. */
public final class GroupKeys {
    /** The name of the group that labels beyond {@code metering.insights.max.labels} are folded into. */
    public static final String OTHER = "other";

    private GroupKeys() {
    }

    public static String key(Insight.Group group, String name) {
        return switch (group) {
            case GLOBAL -> Topics.STATS_KEY;
            case MODEL -> Topics.MODEL_KEY_PREFIX + name;
            case TENANT -> Topics.TENANT_KEY_PREFIX + name;
        };
    }

    public static Insight.Group group(String key) {
        if (key.startsWith(Topics.MODEL_KEY_PREFIX)) {
            return Insight.Group.MODEL;
        }
        if (key.startsWith(Topics.TENANT_KEY_PREFIX)) {
            return Insight.Group.TENANT;
        }
        return Insight.Group.GLOBAL;
    }

    /** The name in a key; null for global. */
    public static String name(String key) {
        int colon = key.indexOf(':');
        return group(key) == Insight.Group.GLOBAL ? null : key.substring(colon + 1);
    }
}
