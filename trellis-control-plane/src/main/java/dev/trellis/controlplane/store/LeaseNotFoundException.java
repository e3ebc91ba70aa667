package dev.trellis.controlplane.store;

/** The lease does not exist: it was never granted, was revoked, or expired (and took its keys with it). */
public final class LeaseNotFoundException extends StoreException {
    private final long leaseId;

    public LeaseNotFoundException(long leaseId) {
        super("lease " + leaseId + " not found (expected: a granted lease that has not expired or been revoked)");
        this.leaseId = leaseId;
    }

    public long leaseId() {
        return leaseId;
    }
}
