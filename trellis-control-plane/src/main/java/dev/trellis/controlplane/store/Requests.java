package dev.trellis.controlplane.store;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks a request before it touches the store, the way etcd's API layer does, so that a request
 * etcd would refuse is refused here too, with nothing applied.
 */
final class Requests {
    private Requests() {}

    static void checkPut(String key, byte[] value) {
        checkSize("put", Keys.key("put", key).length + (long) value.length);
    }

    static void checkTxn(List<Compare> compares, List<Op> onSuccess, List<Op> onFailure) {
        checkCount("compares", compares.size());
        checkCount("success operations", onSuccess.size());
        checkCount("failure operations", onFailure.size());
        long bytes = 0;
        for (Compare c : compares) {
            bytes += Keys.key("compare", c.key()).length + (long) c.value().length;
        }
        bytes += checkBranch(onSuccess) + checkBranch(onFailure);
        checkSize("txn", bytes);
    }

    /** The whole number of seconds granted for a lease asked to live {@code ttl}. */
    static long grantedSeconds(Duration ttl) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl: " + format(ttl) + " (expected: > 0)");
        }
        if (ttl.compareTo(Store.MAX_LEASE_TTL) > 0) {
            throw new IllegalArgumentException("ttl: " + format(ttl) + " (expected: at most " + format(Store.MAX_LEASE_TTL)
                    + ", etcd's MaxLeaseTTL)");
        }
        long seconds = ttl.toSeconds() + (ttl.toNanosPart() == 0 ? 0 : 1);
        return Math.max(seconds, Store.MIN_LEASE_TTL.toSeconds());
    }

    /** "2s" or "1500ms", as durations are written in Trellis's messages. */
    private static String format(Duration d) {
        return d.toNanosPart() == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    private static void checkCount(String what, int count) {
        if (count > Store.MAX_TXN_OPS) {
            throw new StoreLimitException("txn", "--max-txn-ops", count, Store.MAX_TXN_OPS, what);
        }
    }

    private static void checkSize(String request, long bytes) {
        if (bytes > Store.MAX_REQUEST_BYTES) {
            throw new StoreLimitException(request, "--max-request-bytes", bytes, Store.MAX_REQUEST_BYTES, "bytes of keys and values");
        }
    }

    /**
     * Checks one branch as etcd's checkIntervals does (a key put twice, or put and deleted, is
     * ambiguous within one revision) and returns its size in bytes.
     */
    private static long checkBranch(List<Op> ops) {
        long bytes = 0;
        Set<String> puts = new HashSet<>();
        List<Interval> deletes = new ArrayList<>();
        for (Op op : ops) {
            switch (op) {
                case Op.Put p -> {
                    bytes += Keys.key("put", p.key()).length + (long) p.valueLength();
                    if (!puts.add(p.key())) {
                        throw duplicate(p.key());
                    }
                }
                case Op.Delete d -> {
                    byte[] key = Keys.key("delete", d.key());
                    bytes += key.length;
                    deletes.add(new Interval(key, null));
                }
                case Op.DeletePrefix d -> {
                    byte[] prefix = Keys.prefix("deletePrefix", d.prefix());
                    bytes += prefix.length;
                    deletes.add(new Interval(prefix, Keys.prefixEnd(prefix)));
                }
                case Op.Get g -> bytes += Keys.key("get", g.key()).length;
                case Op.Range r -> bytes += Keys.prefix("range", r.prefix()).length;
            }
        }
        for (String put : puts) {
            byte[] key = Keys.key("put", put);
            if (deletes.stream().anyMatch(d -> d.contains(key))) {
                throw duplicate(put);
            }
        }
        return bytes;
    }

    /** The keys a delete covers: one key when {@code end} is null, else [start, end). */
    private record Interval(byte[] start, byte[] end) {
        boolean contains(byte[] key) {
            return end == null
                    ? Arrays.equals(key, start)
                    : Arrays.compareUnsigned(key, start) >= 0 && Arrays.compareUnsigned(key, end) < 0;
        }
    }

    private static IllegalArgumentException duplicate(String key) {
        return new IllegalArgumentException("txn: key \"" + key + "\" written twice in one branch (expected: each key put or deleted"
                + " at most once per branch; etcd: duplicate key given in txn request)");
    }
}
