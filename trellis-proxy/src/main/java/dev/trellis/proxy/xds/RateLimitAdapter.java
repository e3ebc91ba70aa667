package dev.trellis.proxy.xds;

import dev.trellis.proxy.route.RateLimit;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.type.v3.TokenBucket;
import java.time.Duration;
import java.util.Set;

/**
 * Reads Envoy's {@code LocalRateLimit}, the local rate limit filter's config and its per-route
 * override, into a {@link RateLimit}: one token bucket for every request. As in Envoy, the bucket
 * limits nothing unless {@code filter_enabled} and {@code filter_enforced} both take every request;
 * shares between none and all, descriptors, custom statuses and headers are refused.
 */
final class RateLimitAdapter {
    private static final Set<String> LIMIT = Set.of("stat_prefix", "token_bucket", "filter_enabled", "filter_enforced");
    private static final Set<String> BUCKET = Set.of("max_tokens", "tokens_per_fill", "fill_interval");
    private static final Duration LEAST_FILL_INTERVAL = Duration.ofMillis(50);

    private final Refusals refusals;

    RateLimitAdapter(Refusals refusals) {
        this.refusals = refusals;
    }

    /** The bucket; null when there is none or it limits nothing, or after refusing it. */
    RateLimit rateLimit(LocalRateLimit limit, String where) {
        int before = refusals.count();
        refusals.onlyFields(limit, where, LIMIT);
        if (limit.getStatPrefix().isEmpty()) {
            refusals.add(where + ".stat_prefix", "missing (expected: a name, as Envoy requires)");
        }
        boolean enabled = all(limit.hasFilterEnabled(), limit.getFilterEnabled(), where + ".filter_enabled");
        boolean enforced = all(limit.hasFilterEnforced(), limit.getFilterEnforced(), where + ".filter_enforced");
        RateLimit bucket = limit.hasTokenBucket() ? bucket(limit.getTokenBucket(), where + ".token_bucket") : null;
        return refusals.count() > before || !enabled || !enforced ? null : bucket;
    }

    /** Whether the share takes every request (true) or none (false, also when unset); other shares are refused. */
    private boolean all(boolean set, RuntimeFractionalPercent share, String where) {
        if (!set) {
            return false;
        }
        refusals.onlyFields(share, where, Set.of("default_value"));
        double percent = Values.percent(share.getDefaultValue(), where + ".default_value", refusals);
        if (percent != 0 && percent != 100) {
            refusals.add(where + ".default_value", percent + "% (expected: 100% or 0%; Trellis limits every request or none)");
        }
        return percent == 100;
    }

    private RateLimit bucket(TokenBucket bucket, String where) {
        refusals.onlyFields(bucket, where, BUCKET);
        long maxTokens = Integer.toUnsignedLong(bucket.getMaxTokens());
        long tokensPerFill = bucket.hasTokensPerFill() ? Integer.toUnsignedLong(bucket.getTokensPerFill().getValue()) : 1;
        if (maxTokens < 1) {
            refusals.add(where + ".max_tokens", maxTokens + " (expected: 1 or more)");
        }
        if (tokensPerFill < 1) {
            refusals.add(where + ".tokens_per_fill", tokensPerFill + " (expected: 1 or more)");
        }
        if (!bucket.hasFillInterval()) {
            refusals.add(where + ".fill_interval", "missing (expected: 50ms or more, as in Envoy)");
            return null;
        }
        Duration fillInterval = Values.duration(bucket.getFillInterval(), where + ".fill_interval", refusals);
        if (fillInterval == null) {
            return null;
        }
        if (fillInterval.compareTo(LEAST_FILL_INTERVAL) < 0) {
            refusals.add(where + ".fill_interval", fillInterval + " (expected: 50ms or more, as in Envoy)");
            return null;
        }
        return maxTokens < 1 || tokensPerFill < 1 ? null : new RateLimit(maxTokens, tokensPerFill, fillInterval);
    }
}
