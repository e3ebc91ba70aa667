package dev.trellis.proxy.resilience;

/**
 * The limits of one cluster's circuit breaker: Envoy's {@code Cluster.circuit_breakers} thresholds
 * at DEFAULT priority, which Istio fills from a DestinationRule's {@code connectionPool}. Each is a
 * count of things in flight at once across every event loop, from 0 (nothing allowed) to {@link
 * #UNLIMITED}.
 *
 * @param maxConnections connections open to all the cluster's endpoints ({@code max_connections};
 *     Istio {@code tcp.maxConnections})
 * @param maxPendingRequests requests waiting for a connection or stream ({@code
 *     max_pending_requests}; Istio {@code http.http1MaxPendingRequests})
 * @param maxRequests requests outstanding to the cluster ({@code max_requests}; Istio {@code
 *     http.http2MaxRequests})
 * @param maxRetries retries outstanding to the cluster ({@code max_retries}; Istio {@code
 *     http.maxRetries}). Envoy ignores it when a retry budget is configured; so should the caller.
 */
public record CircuitBreakerPolicy(long maxConnections, long maxPendingRequests, long maxRequests, long maxRetries) {
    /** 2^32-1, the largest value of Envoy's uint32 thresholds: what Istio sets when a limit is unset. */
    public static final long UNLIMITED = 0xFFFF_FFFFL;

    /** Istio's defaults: every limit effectively unlimited. */
    public static final CircuitBreakerPolicy DEFAULT = new CircuitBreakerPolicy(UNLIMITED, UNLIMITED, UNLIMITED, UNLIMITED);

    public CircuitBreakerPolicy {
        check("maxConnections", maxConnections);
        check("maxPendingRequests", maxPendingRequests);
        check("maxRequests", maxRequests);
        check("maxRetries", maxRetries);
    }

    /** The limit on one resource. */
    public long limit(CircuitBreaker.Resource resource) {
        return switch (resource) {
            case CONNECTIONS -> maxConnections;
            case PENDING_REQUESTS -> maxPendingRequests;
            case REQUESTS -> maxRequests;
            case RETRIES -> maxRetries;
        };
    }

    public static Builder builder() {
        return new Builder();
    }

    private static void check(String name, long value) {
        if (value < 0 || value > UNLIMITED) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: 0.." + UNLIMITED + ")");
        }
    }

    /** Starts from {@link #DEFAULT}; each limit not set stays unlimited. */
    public static final class Builder {
        private long maxConnections = UNLIMITED;
        private long maxPendingRequests = UNLIMITED;
        private long maxRequests = UNLIMITED;
        private long maxRetries = UNLIMITED;

        private Builder() {}

        public Builder maxConnections(long maxConnections) {
            this.maxConnections = maxConnections;
            return this;
        }

        public Builder maxPendingRequests(long maxPendingRequests) {
            this.maxPendingRequests = maxPendingRequests;
            return this;
        }

        public Builder maxRequests(long maxRequests) {
            this.maxRequests = maxRequests;
            return this;
        }

        public Builder maxRetries(long maxRetries) {
            this.maxRetries = maxRetries;
            return this;
        }

        public CircuitBreakerPolicy build() {
            return new CircuitBreakerPolicy(maxConnections, maxPendingRequests, maxRequests, maxRetries);
        }
    }
}
