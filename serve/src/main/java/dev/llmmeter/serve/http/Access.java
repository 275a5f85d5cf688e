package dev.llmmeter.serve.http;

import java.util.List;

/**
 * Who may read what, and which other web origins may read it through a browser.
 *
 * @param tokens      the bearer tokens accepted; null: no token needed, everyone is admin (anonymous)
 * @param corsOrigins the origins sent {@code Access-Control-Allow-Origin} (exactly as a browser sends
 *                    {@code Origin}: {@code https://host[:port]}); {@code *} for any; empty for none
 */
public record Access(Tokens tokens, List<String> corsOrigins) {
    public static final String ANY_ORIGIN = "*";

    public Access {
        corsOrigins = List.copyOf(corsOrigins);
    }

    /** No token needed, no other origin allowed: what {@code run} and the tests use. */
    public static Access anonymous() {
        return new Access(null, List.of());
    }

    public boolean anonymousAccess() {
        return tokens == null;
    }

    boolean allowsOrigin(String origin) {
        return origin != null && (corsOrigins.contains(ANY_ORIGIN) || corsOrigins.contains(origin));
    }
}
