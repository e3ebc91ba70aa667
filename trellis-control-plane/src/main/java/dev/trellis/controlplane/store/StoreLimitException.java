package dev.trellis.controlplane.store;

/**
 * A request broke one of etcd's limits ({@link Store#MAX_TXN_OPS}, {@link Store#MAX_REQUEST_BYTES}).
 * Nothing of it was applied. Both stores enforce them, so that nothing works embedded that would
 * fail on etcd.
 */
public final class StoreLimitException extends StoreException {
    private final String limit;
    private final long given;
    private final long allowed;

    public StoreLimitException(String request, String limit, long given, long allowed, String unit) {
        super(request + ": " + given + " " + unit + " (expected: at most " + allowed + ", etcd's " + limit + ")");
        this.limit = limit;
        this.given = given;
        this.allowed = allowed;
    }

    /** The etcd limit broken, named as etcd's flag names it. */
    public String limit() {
        return limit;
    }

    public long given() {
        return given;
    }

    public long allowed() {
        return allowed;
    }
}
