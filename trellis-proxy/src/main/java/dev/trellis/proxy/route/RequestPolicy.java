package dev.trellis.proxy.route;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a route's requests are carried beyond where they go: deadline, retries, mirrors, and the
 * per-route settings of the fault and local rate limit filters.
 *
 * @param timeout the whole request's limit, retries included, or {@link Duration#ZERO} for none
 *     (Envoy's {@code RouteAction.timeout}, Istio's {@code timeout})
 * @param grpcTimeoutMax whether and how far a caller's {@code grpc-timeout} header bounds the
 *     deadline: null ignores the header, {@link Duration#ZERO} honours it uncapped (Envoy's {@code
 *     max_stream_duration.grpc_timeout_header_max})
 * @param fault faults to inject, or null
 * @param rateLimit the route's token bucket, or null for none
 */
public record RequestPolicy(
        Duration timeout,
        Duration grpcTimeoutMax,
        RetryPolicy retry,
        List<Mirror> mirrors,
        Fault fault,
        RateLimit rateLimit) {
    /** No deadline, no retries, nothing mirrored or injected. */
    public static final RequestPolicy NONE = new RequestPolicy(Duration.ZERO, null, RetryPolicy.NONE, List.of(), null, null);

    public RequestPolicy {
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(retry, "retry");
        mirrors = List.copyOf(mirrors);
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: >= 0)");
        }
    }
}
