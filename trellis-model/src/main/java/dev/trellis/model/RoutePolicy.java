package dev.trellis.model;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a route carries its requests beyond where they go: Istio's {@code timeout}, {@code retries},
 * {@code fault} and {@code mirror}/{@code mirrors} of a VirtualService HTTP route.
 *
 * @param timeout the limit on the whole request, retries included; {@link Duration#ZERO} for none,
 *     Istio's default
 * @param retries what the route says of retries; empty when it says nothing, which gives it Istio's
 *     default policy (not no retries)
 * @param fault faults injected into the route's requests, if any
 * @param mirrors where copies of the route's requests go, each with its share of requests
 */
public record RoutePolicy(Duration timeout, Optional<HttpRetry> retries, Optional<HttpFault> fault, List<Mirror> mirrors) {
    /** What a route that says nothing gets: no timeout, Istio's default retries, no fault, no mirror. */
    public static final RoutePolicy DEFAULT = new RoutePolicy(Duration.ZERO, Optional.empty(), Optional.empty(), List.of());

    public RoutePolicy {
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(retries, "retries");
        Objects.requireNonNull(fault, "fault");
        mirrors = List.copyOf(mirrors);
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: >= 0)");
        }
    }
}
