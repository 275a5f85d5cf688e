package dev.llmmeter.serve.http;

/**
 * What a bearer token may read: {@link #ADMIN} everything, a tenant scope the global figures and that
 * tenant's own insights, streams and usage, nothing of another tenant.
 *
 * @param tenant null for admin
 */
public record Scope(String tenant) {
    public static final Scope ADMIN = new Scope(null);

    public static Scope tenant(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a tenant scope names a tenant");
        }
        return new Scope(name);
    }

    public boolean admin() {
        return tenant == null;
    }

    /** Whether this scope may see figures of {@code tenantName} (a record's tenant). */
    public boolean sees(String tenantName) {
        return tenant == null || tenant.equals(tenantName);
    }

    @Override
    public String toString() {
        return tenant == null ? "admin" : "tenant:" + tenant;
    }
}
