package dev.trellis.proxy.route;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * When and how often a route's request is tried again: Envoy's {@code RouteAction.retry_policy},
 * which Istio fills from a VirtualService route's {@code retries}.
 *
 * @param numRetries retries after the first try (Istio's {@code attempts}: 3 allows 4 tries)
 * @param perTryTimeout the limit on each try, or {@link Duration#ZERO} for none but the route's
 * @param retryOn the conditions that make a try worth retrying
 * @param retriableStatusCodes the statuses {@link RetryOn#RETRIABLE_STATUS_CODES} retries
 * @param retriableHeaders response headers that make {@link RetryOn#RETRIABLE_HEADERS} retry; any one matching is enough
 * @param otherHosts whether a retry avoids the hosts already tried (Envoy's {@code previous_hosts} predicate)
 * @param hostSelectionMaxAttempts how many picks a retry makes looking for a host not yet tried
 * @param otherPriorities whether a retry moves to the next locality tier (Envoy's {@code
 *     previous_priorities}, Istio's {@code retryRemoteLocalities})
 * @param backoffBase the first retry's mean back-off; each later one doubles up to {@code backoffMax},
 *     with full jitter (Envoy: 25 ms and 10 × base)
 */
public record RetryPolicy(
        int numRetries,
        Duration perTryTimeout,
        Set<RetryOn> retryOn,
        Set<Integer> retriableStatusCodes,
        List<RequestMatcher.HeaderCondition> retriableHeaders,
        boolean otherHosts,
        int hostSelectionMaxAttempts,
        boolean otherPriorities,
        Duration backoffBase,
        Duration backoffMax) {
    /** Envoy's default back-off base. */
    public static final Duration DEFAULT_BACKOFF_BASE = Duration.ofMillis(25);

    /** No retries: what a route states with {@code attempts: 0}. */
    public static final RetryPolicy NONE = new RetryPolicy(0, Duration.ZERO, Set.of(), Set.of(), List.of(), false, 1, false,
            DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_BASE.multipliedBy(10));

    /**
     * Istio's policy for a route that says nothing: 2 retries on connect-failure, refused-stream,
     * unavailable, cancelled and 503, each to another host (5 picks).
     */
    public static final RetryPolicy ISTIO_DEFAULT = new RetryPolicy(2, Duration.ZERO,
            EnumSet.of(RetryOn.CONNECT_FAILURE, RetryOn.REFUSED_STREAM, RetryOn.GRPC_UNAVAILABLE, RetryOn.GRPC_CANCELLED,
                    RetryOn.RETRIABLE_STATUS_CODES),
            Set.of(503), List.of(), true, 5, false, DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_BASE.multipliedBy(10));

    public RetryPolicy {
        if (numRetries < 0) {
            throw new IllegalArgumentException("numRetries: " + numRetries + " (expected: >= 0)");
        }
        Objects.requireNonNull(perTryTimeout, "perTryTimeout");
        // An EnumSet: read on every response, its contains and iteration are a bit mask's.
        retryOn = Collections.unmodifiableSet(retryOn.isEmpty() ? EnumSet.noneOf(RetryOn.class) : EnumSet.copyOf(retryOn));
        retriableStatusCodes = Set.copyOf(retriableStatusCodes);
        retriableHeaders = List.copyOf(retriableHeaders);
        if (hostSelectionMaxAttempts < 1) {
            throw new IllegalArgumentException("hostSelectionMaxAttempts: " + hostSelectionMaxAttempts + " (expected: >= 1)");
        }
        Objects.requireNonNull(backoffBase, "backoffBase");
        Objects.requireNonNull(backoffMax, "backoffMax");
        if (backoffBase.isNegative() || backoffBase.isZero() || backoffMax.compareTo(backoffBase) < 0) {
            throw new IllegalArgumentException("backoff: base " + backoffBase + ", max " + backoffMax + " (expected: 0 < base <= max)");
        }
    }

    public boolean retries() {
        return numRetries > 0 && !retryOn.isEmpty();
    }
}
