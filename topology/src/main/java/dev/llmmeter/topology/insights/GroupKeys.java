package dev.llmmeter.topology.insights;

import dev.llmmeter.contract.Insight;
import dev.llmmeter.contract.Topics;

/**
 * Group keys: {@code global}, {@code model:NAME}, {@code tenant:NAME}. In a partial NAME is the label as the begin
 * gave it, or {@link #OVERFLOW}; in a published record it is the group's published name ({@link #publishedName}), or
 * {@link #OTHER} for the fold.
 */
public final class GroupKeys {
    /** The published name of the group that labels without a group of their own are folded into. */
    public static final String OTHER = "other";
    /**
     * In a partial, the name of a session task's overflow: the sessions whose label found the task's own bound
     * reached. Labels are never empty (the contract's rule), so this name is no label's.
     */
    public static final String OVERFLOW = "";
    /** What a label whose name could be taken for the fold is published with in front of it. */
    static final char ESCAPE = '*';

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

    /**
     * The name a label's own group is published under: the label itself, except that {@code other}, {@code *other},
     * {@code **other}, ... get one more {@code *} in front, so that no label's group has the fold's name and no two
     * labels share one.
     */
    public static String publishedName(String label) {
        int stars = 0;
        while (stars < label.length() && label.charAt(stars) == ESCAPE) {
            stars++;
        }
        return label.startsWith(OTHER, stars) && label.length() == stars + OTHER.length() ? ESCAPE + label : label;
    }

    /** The label a label's own group is published under {@code publishedName} for ({@link #publishedName} undone). */
    public static String label(String publishedName) {
        int stars = 0;
        while (stars < publishedName.length() && publishedName.charAt(stars) == ESCAPE) {
            stars++;
        }
        boolean escaped = stars > 0 && publishedName.startsWith(OTHER, stars) && publishedName.length() == stars + OTHER.length();
        return escaped ? publishedName.substring(1) : publishedName;
    }

    /** The name in a key; null for global. */
    public static String name(String key) {
        int colon = key.indexOf(':');
        return group(key) == Insight.Group.GLOBAL ? null : key.substring(colon + 1);
    }
}
