package dev.trellis.proxy.resilience;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Envoy's retry budget: retries in flight at once are at most {@code percent} of the requests in
 * flight, and at least {@code minRetryConcurrency} are always allowed. With 20% and 3, 25 requests
 * in flight allow 5 retries at once, 2 requests still allow 3.
 *
 * <p>Lock-free; the count of retries in flight never passes the allowance computed by the caller
 * that took the last unit. Each granted permit is released when its retry ends.
 */
public final class ConcurrentRetryBudget implements RetryBudget {
    private final RetryBudgetPolicy.Concurrent policy;
    private final AtomicLong active = new AtomicLong();
    private final LongAdder allowed = new LongAdder();
    private final LongAdder skipped = new LongAdder();

    public ConcurrentRetryBudget(RetryBudgetPolicy.Concurrent policy) {
        this.policy = policy;
    }

    @Override
    public RetryBudgetPolicy.Concurrent policy() {
        return policy;
    }

    /** Nothing to record: this model reads the requests in flight when a retry asks. */
    @Override
    public void requestStarted(long nowNanos) {}

    @Override
    public Permit tryStartRetry(long activeRequests, long nowNanos) {
        return tryStartRetry(activeRequests);
    }

    /**
     * Takes room for one retry if fewer than {@link #maxActiveRetries(long)} are in flight.
     *
     * @param activeRequests the cluster's requests in flight, active plus pending, as Envoy counts
     */
    public Permit tryStartRetry(long activeRequests) {
        long limit = maxActiveRetries(activeRequests);
        for (;;) {
            long current = active.get();
            if (current >= limit) {
                skipped.increment();
                return Permit.DENIED;
            }
            if (active.compareAndSet(current, current + 1)) {
                allowed.increment();
                return Permit.holding(active);
            }
        }
    }

    /**
     * The retries allowed in flight with {@code activeRequests} requests in flight: {@code percent}
     * of them rounded down, and never fewer than {@code minRetryConcurrency} (Envoy's arithmetic).
     */
    public long maxActiveRetries(long activeRequests) {
        if (activeRequests < 0) {
            throw new IllegalArgumentException("activeRequests: " + activeRequests + " (expected: >= 0)");
        }
        return Math.max((long) (policy.percent() / 100.0 * activeRequests), policy.minRetryConcurrency());
    }

    /** Retries in flight now. */
    public long activeRetries() {
        return active.get();
    }

    @Override
    public long retriesAllowed() {
        return allowed.sum();
    }

    @Override
    public long retriesSkipped() {
        return skipped.sum();
    }

    @Override
    public String toString() {
        return "ConcurrentRetryBudget[" + policy + ", active=" + active.get() + "]";
    }
}
