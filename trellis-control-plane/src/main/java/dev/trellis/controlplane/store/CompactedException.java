package dev.trellis.controlplane.store;

/**
 * A read or watch asked for history that compaction has dropped. The remedy is etcd's: read the
 * current state again and watch from that read's revision + 1.
 */
public final class CompactedException extends StoreException {
    private final long compactRevision;
    private final long requestedRevision;

    public CompactedException(long compactRevision, long requestedRevision) {
        super("revision " + requestedRevision + " has been compacted (expected: >= " + compactRevision
                + ", the compact revision); read again and watch from the read's revision + 1");
        this.compactRevision = compactRevision;
        this.requestedRevision = requestedRevision;
    }

    /** The oldest revision still readable. */
    public long compactRevision() {
        return compactRevision;
    }

    public long requestedRevision() {
        return requestedRevision;
    }
}
