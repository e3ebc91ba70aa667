package dev.trellis.controlplane.store;

import java.time.Duration;
import java.util.List;

/**
 * The control plane's revisioned key-value store, with etcd v3's contract, so that the embedded
 * {@link SqliteStore} and an etcd-backed store behave alike and pass the same tests.
 *
 * <p><b>Revisions.</b> The store has one revision: 0 when empty, one more after each request that
 * changes something (a put, a delete that deleted, a transaction that wrote, a lease revoke or
 * expiry that deleted keys), whatever the number of keys it changed. A request that changes
 * nothing leaves it alone, as in etcd.
 *
 * <p><b>Keys</b> are non-empty strings, compared and sorted by their UTF-8 bytes as etcd does. A
 * prefix selects the keys that start with it: {@code "/a/"} never selects {@code "/ab"}; the empty
 * prefix selects every key.
 *
 * <p><b>Errors</b> are unchecked: {@link IllegalArgumentException} for a request that is wrong
 * whatever the store holds (empty key, revision in the future, two writes of one key in one
 * transaction); {@link StoreLimitException} for one over etcd's limits; {@link
 * LeaseNotFoundException}, {@link CompactedException}; {@link StoreClosedException} for every
 * call after {@link #close()}; and {@link StoreException} when the storage itself failed. A
 * request that throws changed nothing.
 */
public interface Store extends AutoCloseable {
    /** etcd's {@code --max-txn-ops}: compares, success operations, failure operations, each at most this many. */
    int MAX_TXN_OPS = 128;

    /** etcd's {@code --max-request-bytes} (1.5 MiB), counted here as the UTF-8 bytes of every key, prefix and value of one request. */
    int MAX_REQUEST_BYTES = 1_572_864;

    /** The shortest lease granted: etcd's with its default heartbeat and election timeout. */
    Duration MIN_LEASE_TTL = Duration.ofSeconds(2);

    /** The longest lease granted: etcd's {@code MaxLeaseTTL}. */
    Duration MAX_LEASE_TTL = Duration.ofSeconds(9_000_000_000L);

    /** The store's current revision. */
    long revision();

    /** {@code key}'s current value, if any, and the revision read at. */
    RangeResult get(String key);

    /** Every key under {@code prefix}, sorted, and the revision read at. */
    RangeResult range(String prefix);

    /**
     * Every key under {@code prefix} as it was at {@code revision}.
     *
     * @throws CompactedException when {@code revision} is below the compact revision
     * @throws IllegalArgumentException when {@code revision} is not positive or is in the future
     */
    RangeResult rangeAt(String prefix, long revision);

    /** Writes {@code value} at {@code key}; returns the new revision, which the key now carries. */
    default long put(String key, byte[] value) {
        return put(key, value, 0);
    }

    /**
     * Writes {@code value} at {@code key}, attached to lease {@code leaseId} (0 for none, which
     * also detaches the key from a lease it had); returns the new revision.
     *
     * @throws LeaseNotFoundException when the lease does not exist
     * @throws StoreLimitException when key and value exceed {@link #MAX_REQUEST_BYTES}
     */
    long put(String key, byte[] value, long leaseId);

    /** Deletes {@code key}: 1 deleted and a new revision, or 0 and the current one. */
    DeleteResult delete(String key);

    /** Deletes every key under {@code prefix} in one revision. */
    DeleteResult deletePrefix(String prefix);

    /**
     * Runs {@code onSuccess} if every compare holds, else {@code onFailure}, atomically: no other
     * request sees or interleaves with part of it, and all its writes carry one revision. Later
     * operations see the writes of earlier ones. As in etcd, one branch may not write a key twice
     * (two puts, or a put and a delete covering it).
     *
     * @throws StoreLimitException when a list holds more than {@link #MAX_TXN_OPS} entries or the
     *     request more than {@link #MAX_REQUEST_BYTES}
     * @throws LeaseNotFoundException when a put of the branch taken names a missing lease
     */
    TxnResult txn(List<Compare> compares, List<Op> onSuccess, List<Op> onFailure);

    /**
     * Delivers to {@code listener} every change under {@code prefix} with revision ≥ {@code
     * fromRevision}, in revision order, one {@link WatchBatch} per revision, until the watch is
     * closed. A past {@code fromRevision} replays history, then continues live; 0 means from the
     * next change on. Events carry the previous value (see {@link WatchEvent#prevKv()}).
     *
     * <p>A slow listener never slows writers. Implementations say how they bound what a slow
     * listener leaves waiting; they may end the watch through {@link WatchListener#onError} only
     * with a {@link CompactedException} (history it still needed was compacted, as etcd does).
     *
     * @throws CompactedException when {@code fromRevision} is below the compact revision; its
     *     {@link CompactedException#compactRevision()} tells where history starts
     */
    Watch watch(String prefix, long fromRevision, WatchListener listener);

    /**
     * Grants a lease of at least {@code ttl}, rounded up to whole seconds and to {@link
     * #MIN_LEASE_TTL}. The lease expires unless kept alive within its granted ttl; then its keys
     * are deleted in one revision. After a restart, every lease has its full ttl again (as in etcd),
     * so clients that reconnect within it keep their keys.
     *
     * @throws IllegalArgumentException when {@code ttl} is not positive or above {@link #MAX_LEASE_TTL}
     */
    Lease grant(Duration ttl);

    /**
     * Renews the lease to its full granted ttl, which it returns.
     *
     * @throws LeaseNotFoundException when the lease expired, was revoked or never existed
     */
    Duration keepAlive(long leaseId);

    /**
     * Ends the lease and deletes its keys in one revision; returns the revision after it.
     *
     * @throws LeaseNotFoundException when the lease expired, was revoked or never existed
     */
    long revoke(long leaseId);

    /**
     * The lease's granted and remaining ttl and its keys.
     *
     * @throws LeaseNotFoundException when the lease expired, was revoked or never existed
     */
    LeaseStatus timeToLive(long leaseId);

    /**
     * Drops the history before {@code revision}; each key's value as of {@code revision} stays.
     * Reads and watches below it fail afterwards with {@link CompactedException}.
     *
     * @throws CompactedException when {@code revision} is at or below the current compact revision
     * @throws IllegalArgumentException when {@code revision} is not positive or is in the future
     */
    void compact(long revision);

    /**
     * Closes the store: open watches end with a {@link StoreClosedException}, and every later call
     * fails with one. Closing twice does nothing.
     */
    @Override
    void close();
}
