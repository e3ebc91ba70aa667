package dev.trellis.proxy.resilience;

import java.time.Duration;

/**
 * How many retries a cluster's callers may add on top of their requests, in one of two models:
 * Envoy's limit on retries in flight, or Linkerd's rate of retries to requests.
 */
public sealed interface RetryBudgetPolicy {
    /**
     * Envoy's retry budget ({@code circuit_breakers.thresholds.retry_budget}; Istio's {@code
     * trafficPolicy.retryBudget}): retries in flight at once may be {@code percent} of the requests
     * in flight (active plus pending), and never fewer than {@code minRetryConcurrency}.
     *
     * @param percent 0..100; Envoy's and Istio's default is 20
     * @param minRetryConcurrency retries always allowed at once, whatever the load; default 3
     */
    record Concurrent(double percent, long minRetryConcurrency) implements RetryBudgetPolicy {
        /** Envoy's and Istio's defaults: 20% and 3. */
        public static final Concurrent DEFAULT = new Concurrent(20, 3);

        public Concurrent {
            if (!(percent >= 0 && percent <= 100)) {
                throw new IllegalArgumentException("percent: " + percent + " (expected: 0..100)");
            }
            if (minRetryConcurrency < 0 || minRetryConcurrency > CircuitBreakerPolicy.UNLIMITED) {
                throw new IllegalArgumentException("minRetryConcurrency: " + minRetryConcurrency
                        + " (expected: 0.." + CircuitBreakerPolicy.UNLIMITED + ")");
            }
        }
    }

    /**
     * Linkerd's retry budget (ServiceProfile {@code retryBudget}, Finagle's {@code RetryBudget}):
     * each request deposits {@code retryRatio} tokens, each retry withdraws one, and both count for
     * {@code ttl}; {@code minRetriesPerSecond × ttl} tokens are available on top at all times.
     *
     * @param retryRatio retries allowed per request, 0..1000 (0.2: one retry per five requests)
     * @param minRetriesPerSecond retries per second always allowed, even with no requests
     * @param ttl how long a deposit or a withdrawal counts, 1s..60s (Linkerd's default is 10s)
     */
    record Rate(double retryRatio, int minRetriesPerSecond, Duration ttl) implements RetryBudgetPolicy {
        // Before DEFAULT, which the constructor checks against them.
        private static final Duration MIN_TTL = Duration.ofSeconds(1);
        private static final Duration MAX_TTL = Duration.ofSeconds(60);

        /** Linkerd's defaults: 0.2, 10 per second, 10 seconds. */
        public static final Rate DEFAULT = new Rate(0.2, 10, Duration.ofSeconds(10));

        public Rate {
            // The bounds are Finagle's, which tower's budget (under linkerd2-proxy) asserts too.
            if (!(retryRatio >= 0 && retryRatio <= 1000)) {
                throw new IllegalArgumentException("retryRatio: " + retryRatio + " (expected: 0..1000)");
            }
            if (minRetriesPerSecond < 0) {
                throw new IllegalArgumentException("minRetriesPerSecond: " + minRetriesPerSecond + " (expected: >= 0)");
            }
            if (ttl == null || ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0) {
                throw new IllegalArgumentException("ttl: " + ttl + " (expected: 1s..60s)");
            }
        }
    }
}
