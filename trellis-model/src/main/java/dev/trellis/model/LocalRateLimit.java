package dev.trellis.model;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A limit on the requests the workloads of one service accept, each proxy counting its own
 * (kind {@code LocalRateLimit} of {@code trellis.dev/v1alpha1}): applied server-side, on the inbound
 * listener of every proxy whose workload serves {@code host}, as Consul and Linkerd apply theirs.
 *
 * @param host the fully qualified host of the service limited
 * @param tokenBucket the bucket of every request no path of {@code routes} takes
 * @param routes paths with a bucket of their own, in order: the first that matches a request takes it
 */
public record LocalRateLimit(Meta meta, String host, TokenBucket tokenBucket, List<PathLimit> routes) {
    public LocalRateLimit {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(tokenBucket, "tokenBucket");
        routes = List.copyOf(routes);
    }

    /**
     * Envoy's token bucket: a request takes one token, and is answered 429 when there is none.
     *
     * @param maxTokens the bucket's size, and what it holds at start, 1 or more
     * @param tokensPerFill the tokens added each {@code fillInterval}, up to {@code maxTokens}, 1 or more
     * @param fillInterval how often tokens are added, 50 ms or more (Envoy's least)
     */
    public record TokenBucket(int maxTokens, int tokensPerFill, Duration fillInterval) {
        public static final Duration MIN_FILL_INTERVAL = Duration.ofMillis(50);

        public TokenBucket {
            if (maxTokens < 1) {
                throw new IllegalArgumentException("maxTokens: " + maxTokens + " (expected: >= 1)");
            }
            if (tokensPerFill < 1) {
                throw new IllegalArgumentException("tokensPerFill: " + tokensPerFill + " (expected: >= 1)");
            }
            Objects.requireNonNull(fillInterval, "fillInterval");
            if (fillInterval.compareTo(MIN_FILL_INTERVAL) < 0) {
                throw new IllegalArgumentException("fillInterval: " + fillInterval + " (expected: >= 50ms)");
            }
        }
    }

    /**
     * Requests whose path matches, with a bucket of their own.
     *
     * @param path an {@link StringMatch.Exact} path or a {@link StringMatch.Prefix}
     */
    public record PathLimit(StringMatch path, TokenBucket tokenBucket) {
        public PathLimit {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(tokenBucket, "tokenBucket");
            if (path instanceof StringMatch.Regex) {
                throw new IllegalArgumentException("path: a regex (expected: an exact path or a prefix)");
            }
        }
    }
}
