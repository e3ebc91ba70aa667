package dev.trellis.proxy.balance;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Each endpoint in turn; one counter shared by all threads, so the turns are exact. While an
 * endpoint warms up, turns follow the weights instead: the k-th pick lands where frac(k / φ) falls
 * on the line of running weight sums. That sequence spreads evenly at every length, so the shares
 * are exact over any run and the picks of one endpoint are interleaved with the others' (the
 * lock-free stand-in for Envoy's earliest-deadline-first schedule).
 */
final class RoundRobinBalancer implements Balancer {
    /** 2^64 / φ: multiplying by it walks the golden-ratio sequence in 64-bit fixed point. */
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final Endpoint[] endpoints;
    private final Warmup warmup;
    private final AtomicLong next = new AtomicLong();

    RoundRobinBalancer(Endpoint[] endpoints) {
        this(endpoints, null);
    }

    /** @param warmup the warm-up to follow, or null */
    RoundRobinBalancer(Endpoint[] endpoints, Warmup warmup) {
        this.endpoints = endpoints;
        this.warmup = warmup;
    }

    @Override
    public Endpoint pick(PickContext request) {
        if (endpoints.length == 0) {
            return null;
        }
        long turn = next.getAndIncrement();
        Warmup.Weights weights = warmup == null ? null : warmup.weights();
        if (weights != null) {
            return endpoints[weights.select(((turn * GOLDEN) >>> 11) * 0x1.0p-53)];
        }
        return endpoints[(int) Math.floorMod(turn, (long) endpoints.length)];
    }
}
