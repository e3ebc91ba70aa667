package dev.trellis.model;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The retries a route states: Istio's {@code HTTPRetry}. Fields it leaves out keep Istio's default
 * policy (2 retries on connect-failure, refused-stream, unavailable, cancelled and 503, each to a
 * host not tried yet).
 *
 * @param attempts retries after the first try ({@code 3} allows 4 tries); 0 turns retries off
 * @param perTryTimeout the limit on each try, if stated
 * @param retryOn the conditions to retry on, if stated; they replace the default ones whole
 * @param ignorePreviousHosts whether a retry avoids the hosts already tried, if stated (Istio's
 *     {@code retryIgnorePreviousHosts})
 * @param retryRemoteLocalities whether a retry may move to other localities
 * @param backoff the first retry's back-off, if stated (Envoy's default: 25 ms)
 */
public record HttpRetry(
        int attempts,
        Optional<Duration> perTryTimeout,
        Optional<RetryOn> retryOn,
        Optional<Boolean> ignorePreviousHosts,
        boolean retryRemoteLocalities,
        Optional<Duration> backoff) {
    /** Turns retries off: Istio's {@code attempts: 0}. */
    public static final HttpRetry DISABLED =
            new HttpRetry(0, Optional.empty(), Optional.empty(), Optional.empty(), false, Optional.empty());

    public HttpRetry {
        if (attempts < 0) {
            throw new IllegalArgumentException("attempts: " + attempts + " (expected: >= 0)");
        }
        Objects.requireNonNull(perTryTimeout, "perTryTimeout");
        Objects.requireNonNull(retryOn, "retryOn");
        Objects.requireNonNull(ignorePreviousHosts, "ignorePreviousHosts");
        Objects.requireNonNull(backoff, "backoff");
    }

    /**
     * Istio's {@code retryOn}, split: Envoy's condition names, and the HTTP statuses given as
     * numbers, which retry as {@code retriable-status-codes}.
     *
     * @param conditions Envoy {@code retry_on} names such as {@code 5xx} or {@code unavailable}, in the order given
     * @param statusCodes HTTP statuses to retry, in the order given
     */
    public record RetryOn(List<String> conditions, List<Integer> statusCodes) {
        public RetryOn {
            conditions = List.copyOf(conditions);
            statusCodes = List.copyOf(statusCodes);
        }
    }
}
