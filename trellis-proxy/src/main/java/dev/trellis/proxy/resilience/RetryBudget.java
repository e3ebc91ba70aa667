package dev.trellis.proxy.resilience;

/**
 * Whether a cluster's callers may retry now. With no room in the budget the retry is skipped and
 * the original response returned, as Envoy and Linkerd do, and the skip is counted.
 *
 * <p>In Envoy a retry budget replaces the breaker's {@code max_retries}: when a cluster has a
 * budget, its callers ask the budget and not {@link CircuitBreaker.Resource#RETRIES}.
 */
public sealed interface RetryBudget permits ConcurrentRetryBudget, RateRetryBudget {
    static RetryBudget of(RetryBudgetPolicy policy) {
        return switch (policy) {
            case RetryBudgetPolicy.Concurrent concurrent -> new ConcurrentRetryBudget(concurrent);
            case RetryBudgetPolicy.Rate rate -> new RateRetryBudget(rate);
        };
    }

    RetryBudgetPolicy policy();

    /** Records one request sent, not counting retries (a deposit in the rate model). */
    void requestStarted(long nowNanos);

    /**
     * Asks room for one retry.
     *
     * @param activeRequests the cluster's requests in flight now, active plus pending (read by the
     *     concurrent model only)
     * @return a granted permit, to release when the retry ends (on every end path; a second
     *     release does nothing), or a denied one after counting the skip
     */
    Permit tryStartRetry(long activeRequests, long nowNanos);

    /** Retries let through since the budget was made. */
    long retriesAllowed();

    /** Retries refused for lack of budget since the budget was made. */
    long retriesSkipped();
}
