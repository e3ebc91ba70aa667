package dev.trellis.model;

import java.time.Duration;
import java.util.Objects;

/**
 * A retry budget for the callers of a host (kind {@code RetryBudget} of {@code trellis.dev/v1alpha1}),
 * in Linkerd's model (ServiceProfile {@code retryBudget}): each request deposits {@code retryRatio}
 * tokens, each retry withdraws one, both count for {@code ttl}, and {@code minRetriesPerSecond × ttl}
 * tokens are available on top at all times.
 *
 * @param host the fully qualified host whose clusters the budget applies to
 * @param retryRatio retries allowed per request, 0..1000 (0.2: one retry per five requests)
 * @param minRetriesPerSecond retries per second always allowed, even with no requests
 * @param ttl how long a deposit or a withdrawal counts, 1s..60s
 */
public record RetryBudget(Meta meta, String host, double retryRatio, int minRetriesPerSecond, Duration ttl) {
    public static final double DEFAULT_RETRY_RATIO = 0.2;
    public static final int DEFAULT_MIN_RETRIES_PER_SECOND = 10;
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(10);
    /** Finagle's bounds, which tower's budget (under linkerd2-proxy) asserts too. */
    public static final double MAX_RETRY_RATIO = 1000;
    public static final Duration MIN_TTL = Duration.ofSeconds(1);
    public static final Duration MAX_TTL = Duration.ofSeconds(60);

    public RetryBudget {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(ttl, "ttl");
    }
}
