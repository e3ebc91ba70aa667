package dev.trellis.controlplane.store;

import java.util.Optional;

/**
 * One row of the embedded store's log: one key written (or deleted) at one revision. A row holds
 * what a watch event needs, the previous value included (kine's old_value), so events can be
 * rebuilt from the log alone, even after the rows before it were compacted away.
 *
 * @param createRevision the key's create revision; for a deletion, that of the key deleted
 * @param prevRevision the mod revision of the value this row replaced or deleted, 0 if none
 * @param version the key's version after a put; for a deletion, the version of the key deleted
 * @param oldValue the value this row replaced or deleted; empty when {@code created}
 */
record LogRow(long revision, String name, boolean created, boolean deleted, long createRevision, long prevRevision,
        long version, long lease, byte[] value, long oldLease, byte[] oldValue) {

    static LogRow put(long revision, String name, byte[] value, long lease, Optional<KeyValue> prev) {
        return prev.map(p -> new LogRow(revision, name, false, false, p.createRevision(), p.modRevision(), p.version() + 1, lease,
                        value, p.lease(), p.value()))
                .orElseGet(() -> new LogRow(revision, name, true, false, revision, 0, 1, lease, value, 0, new byte[0]));
    }

    static LogRow delete(long revision, KeyValue prev) {
        return new LogRow(revision, prev.key(), false, true, prev.createRevision(), prev.modRevision(), prev.version(), 0,
                new byte[0], prev.lease(), prev.value());
    }

    /** The key's value after this row: for a deletion, etcd's tombstone kv. */
    KeyValue kv() {
        return deleted
                ? new KeyValue(name, new byte[0], 0, revision, 0, 0)
                : new KeyValue(name, value, createRevision, revision, version, lease);
    }

    /** The key's value before this row, if it existed. */
    Optional<KeyValue> prevKv() {
        if (created) {
            return Optional.empty();
        }
        return Optional.of(new KeyValue(name, oldValue, createRevision, prevRevision, deleted ? version : version - 1, oldLease));
    }

    WatchEvent event() {
        return new WatchEvent(deleted ? WatchEvent.Type.DELETE : WatchEvent.Type.PUT, kv(), prevKv());
    }
}
