package dev.trellis.controlplane.store;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One key's value as the store holds it, with etcd's bookkeeping.
 *
 * @param value the bytes stored; a copy, so that no caller can change the store's or another
 *     caller's view of it
 * @param createRevision the revision that created the key (since its last deletion); 0 in the
 *     kv of a DELETE event, as in etcd
 * @param modRevision the revision that last wrote the key (or deleted it, in a DELETE event)
 * @param version how many times the key was written since it was created: 1 on create, 0 in
 *     the kv of a DELETE event
 * @param lease the lease the key is attached to, 0 for none
 */
public record KeyValue(String key, byte[] value, long createRevision, long modRevision, long version, long lease) {
    public KeyValue {
        Objects.requireNonNull(key, "key");
        value = value.clone();
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    /** The value decoded as UTF-8, for values that are text. */
    public String valueAsString() {
        return new String(value, StandardCharsets.UTF_8);
    }

    /** Bytes counted against a watch's backlog, without copying the value. */
    int valueLength() {
        return value.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyValue kv
                && key.equals(kv.key)
                && Arrays.equals(value, kv.value)
                && createRevision == kv.createRevision
                && modRevision == kv.modRevision
                && version == kv.version
                && lease == kv.lease;
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, Arrays.hashCode(value), createRevision, modRevision, version, lease);
    }

    @Override
    public String toString() {
        return "KeyValue[" + key + "=" + Values.describe(value) + ", create=" + createRevision + ", mod=" + modRevision
                + ", version=" + version + (lease == 0 ? "" : ", lease=" + lease) + "]";
    }
}
