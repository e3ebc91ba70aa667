package dev.trellis.proxy.config;

import dev.trellis.proxy.resilience.CircuitBreakerPolicy;
import dev.trellis.proxy.resilience.OutlierPolicy;
import dev.trellis.proxy.resilience.RetryBudgetPolicy;
import java.time.Duration;
import java.util.Objects;

/**
 * How a cluster protects its endpoints and itself: what Istio's DestinationRule {@code
 * connectionPool}, {@code outlierDetection} and {@code retryBudget} become in Envoy's {@code Cluster}.
 *
 * @param breakers the circuit breaker's limits ({@code circuit_breakers})
 * @param retryBudget the cluster's retry budget, or null: then {@code breakers.maxRetries} bounds retries
 * @param outlier when to eject endpoints ({@code outlier_detection}), or null for never
 * @param connectTimeout the limit on opening a connection ({@code connect_timeout}; Istio's default 10 s)
 * @param idleTimeout how long an unused upstream connection stays open, or ZERO for no limit ({@code
 *     common_http_protocol_options.idle_timeout}; Istio's default 1 h)
 * @param maxRequestsPerConnection requests after which a connection is closed, 0 for no limit
 * @param keepalive TCP keep-alive probes on upstream connections, or null for the system's settings
 */
public record UpstreamPolicy(
        CircuitBreakerPolicy breakers,
        RetryBudgetPolicy retryBudget,
        OutlierPolicy outlier,
        Duration connectTimeout,
        Duration idleTimeout,
        long maxRequestsPerConnection,
        TcpKeepalive keepalive) {
    /** What Istio gives a cluster no DestinationRule shapes. */
    public static final UpstreamPolicy DEFAULT = new UpstreamPolicy(CircuitBreakerPolicy.DEFAULT, null, null,
            Duration.ofSeconds(10), Duration.ofHours(1), 0, null);

    public UpstreamPolicy {
        Objects.requireNonNull(breakers, "breakers");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout: " + connectTimeout + " (expected: > 0)");
        }
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idleTimeout: " + idleTimeout + " (expected: >= 0)");
        }
        if (maxRequestsPerConnection < 0) {
            throw new IllegalArgumentException("maxRequestsPerConnection: " + maxRequestsPerConnection + " (expected: >= 0)");
        }
    }

    /**
     * Envoy's {@code upstream_connection_options.tcp_keepalive}; a null field keeps the system's value.
     *
     * @param probes unanswered probes before the connection is dropped
     * @param time idle time before the first probe
     * @param interval time between probes
     */
    public record TcpKeepalive(Integer probes, Duration time, Duration interval) {}
}
