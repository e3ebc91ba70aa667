package dev.trellis.controlplane.store;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The live leases and their deadlines, in memory and on the monotonic clock. Keep-alives only
 * touch this table, so they never wait for a write. A lease past its deadline can no longer be
 * kept alive, even before the reaper has deleted its keys: it cannot come back to life.
 */
final class LeaseTable {
    private final Map<Long, Clock> leases = new ConcurrentHashMap<>();

    /** The granted and remaining ttl of a lease. */
    record Times(Duration granted, Duration remaining) {}

    private static final class Clock {
        private final long ttlNanos;
        private long deadline;

        Clock(long ttlSeconds) {
            this.ttlNanos = Duration.ofSeconds(ttlSeconds).toNanos();
            this.deadline = System.nanoTime() + ttlNanos;
        }

        synchronized boolean expired(long now) {
            return now - deadline >= 0;
        }

        synchronized boolean renew(long now) {
            if (expired(now)) {
                return false;
            }
            deadline = now + ttlNanos;
            return true;
        }

        synchronized Duration remaining(long now) {
            return Duration.ofNanos(Math.max(0, deadline - now));
        }
    }

    /** Starts the lease's full ttl now: on grant, and for every stored lease when the store opens. */
    void add(long id, long ttlSeconds) {
        leases.put(id, new Clock(ttlSeconds));
    }

    /** Whether the lease exists (it may be expired and waiting for the reaper, as in etcd's lookup). */
    boolean contains(long id) {
        return leases.containsKey(id);
    }

    Duration keepAlive(long id) {
        Clock clock = leases.get(id);
        if (clock == null || !clock.renew(System.nanoTime())) {
            throw new LeaseNotFoundException(id);
        }
        return Duration.ofNanos(clock.ttlNanos);
    }

    Times times(long id) {
        Clock clock = leases.get(id);
        long now = System.nanoTime();
        if (clock == null || clock.expired(now)) {
            throw new LeaseNotFoundException(id);
        }
        return new Times(Duration.ofNanos(clock.ttlNanos), clock.remaining(now));
    }

    boolean expired(long id) {
        Clock clock = leases.get(id);
        return clock != null && clock.expired(System.nanoTime());
    }

    List<Long> expired() {
        long now = System.nanoTime();
        return leases.entrySet().stream().filter(e -> e.getValue().expired(now)).map(Map.Entry::getKey).sorted().toList();
    }

    void remove(long id) {
        leases.remove(id);
    }
}
