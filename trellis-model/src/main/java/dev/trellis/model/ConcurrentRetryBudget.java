package dev.trellis.model;

/**
 * Istio's {@code trafficPolicy.retryBudget}, Envoy's model: retries in flight at once may be
 * {@code percent} of the requests in flight, and never fewer than {@code minRetryConcurrency}.
 *
 * @param percent 0..100 (default 20)
 * @param minRetryConcurrency retries always allowed at once (default 3)
 */
public record ConcurrentRetryBudget(double percent, long minRetryConcurrency) {
    public static final double DEFAULT_PERCENT = 20;
    public static final long DEFAULT_MIN_RETRY_CONCURRENCY = 3;
}
