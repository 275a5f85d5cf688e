package dev.llmmeter.serve.http;

import dev.llmmeter.contract.Topics;

/** Query and path values, checked: a malformed one is a 400 with a JSON error, never a 500. */
final class Params {
    /** Stream ids, model and tenant names are 1-256 characters (the wire contract). */
    static final int MAX_ID = 256;

    static final class BadParameter extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadParameter(String message) {
            super(message, null, false, false);
        }
    }

    private Params() {
    }

    /** @return null when absent */
    static String streamId(String value, String name) {
        if (value == null) {
            return null;
        }
        if (value.isEmpty() || value.length() > MAX_ID) {
            throw new BadParameter(name + " must be 1-" + MAX_ID + " characters, got " + value.length());
        }
        return value;
    }

    /** The kinds a {@code group} may name on its own: every record of that kind. */
    enum GroupQuery { ALL, KIND, KEY }

    /**
     * {@code group} of {@code /api/insights}: absent (every group), {@code global}, {@code model} or
     * {@code tenant} (every group of that kind), or one key {@code model:<name>} / {@code tenant:<name>}.
     */
    static GroupQuery group(String value) {
        if (value == null) {
            return GroupQuery.ALL;
        }
        if (value.equals(Topics.STATS_KEY)) {
            return GroupQuery.KEY;
        }
        if (value.equals("model") || value.equals("tenant")) {
            return GroupQuery.KIND;
        }
        int colon = value.indexOf(':');
        if (colon > 0) {
            String kind = value.substring(0, colon);
            int nameLength = value.length() - colon - 1;
            if ((kind.equals("model") || kind.equals("tenant")) && nameLength >= 1 && nameLength <= MAX_ID) {
                return GroupQuery.KEY;
            }
        }
        throw new BadParameter("group must be global, model, tenant, model:<name> or tenant:<name> (name 1-"
                + MAX_ID + " characters), got " + quote(value));
    }

    static String quote(String v) {
        String shown = v.length() > 80 ? v.substring(0, 80) + "..." : v;
        return '"' + shown.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
