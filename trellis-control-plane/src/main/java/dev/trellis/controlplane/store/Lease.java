package dev.trellis.controlplane.store;

import java.time.Duration;

/**
 * A granted lease.
 *
 * @param ttl the time to live granted, which may be longer than asked for: whole seconds, at least
 *     {@link Store#MIN_LEASE_TTL}. Keep the lease alive well within it.
 */
public record Lease(long id, Duration ttl) {}
