package dev.trellis.controlplane.store;

import java.util.Objects;
import java.util.Optional;

/**
 * One change to one key, as etcd reports it to a watcher.
 *
 * @param kv for a PUT, the new value; for a DELETE, the key with {@code modRevision} set to the
 *     deleting revision and everything else empty or 0, as in etcd
 * @param prevKv the value before the change: always present for a DELETE, and for a PUT unless
 *     the PUT created the key. (An etcd store may lack it when the old value was compacted.)
 */
public record WatchEvent(Type type, KeyValue kv, Optional<KeyValue> prevKv) {
    public enum Type { PUT, DELETE }

    public WatchEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(kv, "kv");
        Objects.requireNonNull(prevKv, "prevKv");
    }

    public String key() {
        return kv.key();
    }

    /** The revision of the change. */
    public long revision() {
        return kv.modRevision();
    }
}
