package dev.trellis.proxy.http.filter;

import dev.trellis.proxy.route.RateLimit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A token bucket shared by every event loop, lock-free: starts full, gains {@code tokensPerFill}
 * at each whole {@code fillInterval} passed, up to {@code maxTokens}. One word holds both the
 * tokens and the fill reached, so a take and a refill never race apart.
 */
final class TokenBucket {
    private final long maxTokens;
    private final long tokensPerFill;
    private final long fillNanos;
    private final long origin;
    /** The upper 40 bits count fills since origin; the lower 24, the tokens (maxTokens fits: checked). */
    private final AtomicLong state;

    private static final int TOKEN_BITS = 24;
    private static final long TOKEN_MASK = (1L << TOKEN_BITS) - 1;

    TokenBucket(RateLimit limit, long nowNanos) {
        if (limit.maxTokens() > TOKEN_MASK) {
            throw new IllegalArgumentException("maxTokens: " + limit.maxTokens() + " (expected: <= " + TOKEN_MASK + ")");
        }
        this.maxTokens = limit.maxTokens();
        this.tokensPerFill = limit.tokensPerFill();
        this.fillNanos = limit.fillInterval().toNanos();
        this.origin = nowNanos;
        this.state = new AtomicLong(maxTokens);
    }

    /** Takes a token if there is one. */
    boolean tryTake(long nowNanos) {
        long fillsNow = Math.max(0, (nowNanos - origin) / fillNanos);
        for (;;) {
            long current = state.get();
            long fills = current >>> TOKEN_BITS;
            long tokens = current & TOKEN_MASK;
            if (fillsNow > fills) {
                long added = (fillsNow - fills) >= maxTokens ? maxTokens : (fillsNow - fills) * tokensPerFill;
                tokens = Math.min(maxTokens, tokens + added);
                fills = fillsNow;
            }
            if (tokens == 0) {
                if (state.compareAndSet(current, fills << TOKEN_BITS)) {
                    return false;
                }
                continue;
            }
            if (state.compareAndSet(current, (fills << TOKEN_BITS) | (tokens - 1))) {
                return true;
            }
        }
    }
}
