package dev.trellis.controlplane.store;

import java.time.Duration;
import java.util.List;

/**
 * What {@link Store#timeToLive} knows of a live lease.
 *
 * @param grantedTtl the ttl each keep-alive renews the lease to
 * @param remaining how long until the lease expires without a keep-alive (etcd reports it in
 *     whole seconds, the embedded store in milliseconds)
 * @param keys the keys attached to the lease, sorted
 */
public record LeaseStatus(long id, Duration grantedTtl, Duration remaining, List<String> keys) {
    public LeaseStatus {
        keys = List.copyOf(keys);
    }
}
