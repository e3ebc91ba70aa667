package dev.trellis.proxy.resilience;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A cluster's circuit breaker: counts the connections, pending requests, requests and retries in
 * flight across every event loop and refuses one more past its {@link CircuitBreakerPolicy} limit,
 * as Envoy's per-cluster resource manager does. A refusal is answered 503 at once by the caller
 * (Envoy's {@code UO} flag) and counted here per resource for metrics.
 *
 * <p>Lock-free: a compare-and-set loop per acquire, so the count never exceeds its limit even when
 * every event loop acquires at once. Each granted {@link Permit} must be released on every end path;
 * releasing one twice does nothing.
 */
public final class CircuitBreaker {
    /** What the breaker counts, with the Envoy cluster counter its overflows feed. */
    public enum Resource {
        CONNECTIONS("upstream_cx_overflow"),
        PENDING_REQUESTS("upstream_rq_pending_overflow"),
        // Envoy counts max_requests overflows in the pending counter too.
        REQUESTS("upstream_rq_pending_overflow"),
        RETRIES("upstream_rq_retry_overflow");

        private final String envoyOverflowCounter;

        Resource(String envoyOverflowCounter) {
            this.envoyOverflowCounter = envoyOverflowCounter;
        }

        /** The Envoy cluster statistic that counts this resource's overflows. */
        public String envoyOverflowCounter() {
            return envoyOverflowCounter;
        }
    }

    private static final Resource[] RESOURCES = Resource.values();

    private final CircuitBreakerPolicy policy;
    private final long[] limits = new long[RESOURCES.length];
    private final AtomicLong[] active = new AtomicLong[RESOURCES.length];
    private final LongAdder[] overflows = new LongAdder[RESOURCES.length];

    public CircuitBreaker(CircuitBreakerPolicy policy) {
        this.policy = policy;
        for (Resource resource : RESOURCES) {
            limits[resource.ordinal()] = policy.limit(resource);
            active[resource.ordinal()] = new AtomicLong();
            overflows[resource.ordinal()] = new LongAdder();
        }
    }

    public CircuitBreakerPolicy policy() {
        return policy;
    }

    /**
     * Takes one unit of {@code resource} if the limit allows it.
     *
     * @return a granted permit to release when the unit is no longer in use, or a denied one (its
     *     release does nothing) after counting the overflow
     */
    public Permit tryAcquire(Resource resource) {
        return tryTake(resource) ? Permit.holding(active[resource.ordinal()]) : Permit.DENIED;
    }

    /**
     * Takes one unit of {@code resource} if the limit allows it, for a caller that tracks on its own
     * whether it holds the unit and gives it back once by {@link #giveBack}: a try of a request, on
     * every request's path, where a {@link Permit} object would be made for nothing else.
     *
     * @return whether the unit was taken; if not, the overflow was counted
     */
    public boolean tryTake(Resource resource) {
        int i = resource.ordinal();
        AtomicLong count = active[i];
        long limit = limits[i];
        for (;;) {
            long current = count.get();
            if (current >= limit) {
                overflows[i].increment();
                return false;
            }
            if (count.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    /** Gives back a unit {@link #tryTake} took: once per unit, which is the caller's to ensure. */
    public void giveBack(Resource resource) {
        active[resource.ordinal()].decrementAndGet();
    }

    /**
     * Takes one unit of {@code resource} even past the limit, counting it: for the one connection
     * Envoy always lets a chosen endpoint have although {@code max_connections} has overflowed.
     */
    public Permit forceAcquire(Resource resource) {
        AtomicLong count = active[resource.ordinal()];
        count.incrementAndGet();
        return Permit.holding(count);
    }

    /** Units of {@code resource} in use now. */
    public long active(Resource resource) {
        return active[resource.ordinal()].get();
    }

    /** Units of {@code resource} that can still be taken now (Envoy's {@code remaining_*} gauges). */
    public long remaining(Resource resource) {
        return Math.max(0, limits[resource.ordinal()] - active(resource));
    }

    /** Whether {@code resource} is at its limit, so the next acquire fails (Envoy's {@code *_open} gauges). */
    public boolean isOpen(Resource resource) {
        return active(resource) >= limits[resource.ordinal()];
    }

    /** Acquires of {@code resource} refused since this breaker was made. */
    public long overflows(Resource resource) {
        return overflows[resource.ordinal()].sum();
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("CircuitBreaker[");
        for (Resource resource : RESOURCES) {
            if (resource.ordinal() > 0) {
                s.append(", ");
            }
            s.append(resource).append('=').append(active(resource)).append('/').append(limits[resource.ordinal()]);
        }
        return s.append(']').toString();
    }
}
