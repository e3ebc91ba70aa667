package dev.trellis.proxy.route;

import java.time.Duration;
import java.util.Objects;

/**
 * A token bucket limiting the requests a route lets through on this proxy: Envoy's {@code
 * local_ratelimit} token bucket. A request takes one token; without one it is answered 429.
 *
 * @param maxTokens the bucket's size, and its content at start
 * @param tokensPerFill the tokens added each {@code fillInterval}, up to {@code maxTokens}
 */
public record RateLimit(long maxTokens, long tokensPerFill, Duration fillInterval) {
    public RateLimit {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens: " + maxTokens + " (expected: >= 1)");
        }
        if (tokensPerFill < 1) {
            throw new IllegalArgumentException("tokensPerFill: " + tokensPerFill + " (expected: >= 1)");
        }
        Objects.requireNonNull(fillInterval, "fillInterval");
        if (fillInterval.toMillis() < 50) {
            throw new IllegalArgumentException("fillInterval: " + fillInterval + " (expected: >= 50ms, as in Envoy)");
        }
    }
}
