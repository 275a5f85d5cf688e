package dev.llmmeter.serve.http;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/**
 * In front of every path: answers CORS (and its preflight), then requires a bearer token on everything but the
 * probes and the dashboard's own files, and sets the token's {@link Scope} on the request for the handlers.
 * {@code /metrics} is for admin tokens only. {@code /events} also takes the token as {@code ?access_token=},
 * as a browser's {@code EventSource} cannot set a header.
 */
final class AccessFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;
    static final String SCOPE = "metering.scope";
    /** The {@link Tokens.Entry} of the request's token (what per-token limits count); absent when anonymous. */
    static final String TOKEN = "metering.token";
    /** Need no token: the probes, and the dashboard's page and scripts, which hold no figures. */
    private static final Set<String> OPEN = Set.of("/healthz", "/readyz", "/", "/dashboard.js", "/dashboard.css");
    private static final String OPEN_PREFIX = "/webjars/";
    static final String CHALLENGE = "Bearer realm=\"metering\"";

    private final transient Access access;

    AccessFilter(Access access) {
        this.access = access;
    }

    static Scope scope(HttpServletRequest req) {
        Object s = req.getAttribute(SCOPE);
        if (s == null) {
            throw new IllegalStateException("no scope set for " + req.getRequestURI());
        }
        return (Scope) s;
    }

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain) throws IOException, ServletException {
        String origin = req.getHeader("Origin");
        boolean allowed = access.allowsOrigin(origin);
        if (!access.corsOrigins().isEmpty() && !access.corsOrigins().contains(Access.ANY_ORIGIN)) {
            resp.addHeader("Vary", "Origin");
        }
        if (allowed) {
            resp.setHeader("Access-Control-Allow-Origin", access.corsOrigins().contains(Access.ANY_ORIGIN) ? Access.ANY_ORIGIN : origin);
        }
        if ("OPTIONS".equals(req.getMethod()) && origin != null && req.getHeader("Access-Control-Request-Method") != null) {
            if (!allowed) {
                JsonErrors.write(resp, 403, "origin not allowed");
                return;
            }
            resp.setHeader("Access-Control-Allow-Methods", "GET");
            resp.setHeader("Access-Control-Allow-Headers", "Authorization, Last-Event-ID");
            resp.setHeader("Access-Control-Max-Age", "600");
            resp.setStatus(204);
            return;
        }
        String path = path(req);
        if (access.anonymousAccess() || OPEN.contains(path) || path.startsWith(OPEN_PREFIX)) {
            req.setAttribute(SCOPE, Scope.ADMIN);
            chain.doFilter(req, resp);
            return;
        }
        String token = bearer(req.getHeader("Authorization"));
        if (token == null && path.equals("/events")) {
            token = req.getParameter("access_token");
        }
        Optional<Tokens.Entry> entry = access.tokens().entryOf(token);
        Optional<Scope> scope = entry.map(Tokens.Entry::scope);
        if (scope.isEmpty()) {
            resp.setHeader("WWW-Authenticate", token == null ? CHALLENGE : CHALLENGE + ", error=\"invalid_token\"");
            JsonErrors.write(resp, 401, token == null ? "a bearer token is needed" : "unknown bearer token");
            return;
        }
        if (path.equals("/metrics") && !scope.get().admin()) {
            JsonErrors.write(resp, 403, "/metrics needs an admin token");
            return;
        }
        req.setAttribute(SCOPE, scope.get());
        req.setAttribute(TOKEN, entry.get());
        chain.doFilter(req, resp);
    }

    /** The decoded, normalised path (Jetty has resolved any {@code ..} and percent-encoding). */
    private static String path(HttpServletRequest req) {
        String servlet = req.getServletPath();
        String info = req.getPathInfo();
        String p = (servlet == null ? "" : servlet) + (info == null ? "" : info);
        return p.isEmpty() ? "/" : p;
    }

    /** The token of {@code Authorization: Bearer TOKEN} (scheme case-insensitive), or null. */
    static String bearer(String header) {
        if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = header.substring(7).strip();
        return token.isEmpty() ? null : token;
    }
}
