package dev.trellis.controlplane.store;

import java.util.List;
import java.util.Optional;

/**
 * Keys read at one consistent point, sorted by their UTF-8 bytes ascending (etcd's order).
 *
 * @param revision the store's revision when the read was served (etcd's header revision). A
 *     watch from {@code revision + 1} sees every change after this read. For
 *     {@link Store#rangeAt} the kvs are as of the revision asked for, which may be older.
 */
public record RangeResult(List<KeyValue> kvs, long revision) implements OpResult {
    public RangeResult {
        kvs = List.copyOf(kvs);
    }

    /** The first kv: for a {@link Store#get}, the key's value if it exists. */
    public Optional<KeyValue> first() {
        return kvs.isEmpty() ? Optional.empty() : Optional.of(kvs.get(0));
    }
}
