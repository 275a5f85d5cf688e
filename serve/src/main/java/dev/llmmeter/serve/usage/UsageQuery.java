package dev.llmmeter.serve.usage;

import dev.llmmeter.contract.Usage;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The parameters of {@code GET /api/usage} and {@code bin/metering usage}, checked: {@code from} and {@code to}
 * (required; an ISO-8601 instant such as {@code 2026-12-05T10:00:00Z}, or epoch milliseconds; {@code from} before
 * {@code to}), {@code window} ({@code minute} or {@code hour}; default {@code hour}), {@code tenant} and
 * {@code model} (optional filters, 1-256 characters). A window is selected when its start is in [from, to).
 */
public record UsageQuery(String tenant, String model, long from, long to, Usage.Window window) {
    static final int MAX_NAME = 256;
    private static final Set<String> KNOWN = Set.of("tenant", "model", "from", "to", "window");

    /** A parameter that is missing, repeated, unknown or malformed; its message says which and why. */
    public static final class BadQuery extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public BadQuery(String message) {
            super(message, null, false, false);
        }
    }

    public UsageQuery {
        if (from >= to) {
            throw new BadQuery("from must be before to");
        }
    }

    /** @throws BadQuery when a parameter is missing, repeated, unknown or malformed */
    public static UsageQuery parse(Map<String, List<String>> params) {
        for (Map.Entry<String, List<String>> e : params.entrySet()) {
            if (!KNOWN.contains(e.getKey())) {
                throw new BadQuery("unknown parameter " + quote(e.getKey()) + "; known: tenant, model, from, to, window");
            }
            if (e.getValue().size() > 1) {
                throw new BadQuery("parameter " + e.getKey() + " given " + e.getValue().size() + " times");
            }
        }
        String w = one(params, "window");
        Usage.Window window = w == null ? Usage.Window.HOUR : Usage.Window.fromWireName(w);
        if (window == null) {
            throw new BadQuery("window must be minute or hour, got " + quote(w));
        }
        return new UsageQuery(name(one(params, "tenant"), "tenant"), name(one(params, "model"), "model"),
                instant(one(params, "from"), "from"), instant(one(params, "to"), "to"), window);
    }

    private static String one(Map<String, List<String>> params, String name) {
        List<String> v = params.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static String name(String v, String what) {
        if (v != null && (v.isEmpty() || v.length() > MAX_NAME)) {
            throw new BadQuery(what + " must be 1-" + MAX_NAME + " characters, got " + v.length());
        }
        return v;
    }

    /** An ISO-8601 instant or epoch milliseconds (non-negative). */
    public static long instant(String v, String what) {
        if (v == null) {
            throw new BadQuery(what + " is required (an ISO-8601 instant such as 2026-12-05T10:00:00Z, or epoch ms)");
        }
        if (!v.isEmpty() && v.chars().allMatch(Character::isDigit)) {
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new BadQuery(what + " is beyond epoch ms range: " + quote(v));
            }
        }
        try {
            long ms = Instant.parse(v).toEpochMilli();
            if (ms < 0) {
                throw new BadQuery(what + " must not be before 1970: " + quote(v));
            }
            return ms;
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new BadQuery(what + " must be an ISO-8601 instant such as 2026-12-05T10:00:00Z, or epoch ms, got " + quote(v));
        }
    }

    static String quote(String v) {
        String shown = v.length() > 80 ? v.substring(0, 80) + "..." : v;
        return '"' + shown.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
