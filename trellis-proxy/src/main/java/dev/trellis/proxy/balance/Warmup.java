package dev.trellis.proxy.balance;

import java.util.function.LongSupplier;

/**
 * Envoy's slow start, which Istio's {@code warmupDurationSecs} configures: an endpoint that joined
 * the cluster less than the window ago gets weight × max(minWeightPercent, timeFactor^(1/aggression)),
 * timeFactor being max(time since it joined, 1 ms) / window. Endpoints that came with the cluster's
 * first endpoint set do not warm up (Envoy starts slow only hosts added to a running cluster).
 *
 * <p>Weights are computed on the pick path at most once per refresh period (1/100 of the window)
 * into an immutable table any thread may replace; once no endpoint is warming, never again.
 */
final class Warmup {
    private static final long MIN_ELAPSED_NANOS = 1_000_000; // Envoy counts at least 1 ms
    private static final Weights DONE = new Weights(new double[0], new double[0], 0, 0);

    private final Endpoint[] endpoints;
    private final long windowNanos;
    private final double aggression;
    private final double minFactor;
    private final long refreshNanos;
    private final LongSupplier clock;
    private volatile Weights current;

    private Warmup(Endpoint[] endpoints, LbSettings settings, LongSupplier clock) {
        this.endpoints = endpoints;
        this.windowNanos = settings.warmup().toNanos();
        this.aggression = settings.warmupAggression();
        this.minFactor = settings.warmupMinWeightPercent() / 100;
        this.refreshNanos = Math.max(1, windowNanos / 100);
        this.clock = clock;
    }

    /** The warm-up of these endpoints, or null when there is none to do. */
    static Warmup of(Endpoint[] endpoints, LbSettings settings, LongSupplier clock) {
        if (settings.warmup().isZero() || endpoints.length < 2) {
            return null; // one endpoint takes all the traffic whatever its weight
        }
        return new Warmup(endpoints, settings, clock);
    }

    /**
     * Notes when each endpoint was first seen, for warm-ups now or after a later configuration turns
     * them on. When none of them was seen before, this is a new cluster: none of them warms up.
     */
    static void stamp(Iterable<Endpoint> endpoints, long now) {
        boolean anySeen = false;
        for (Endpoint endpoint : endpoints) {
            anySeen |= endpoint.stats().firstSeen.get() != EndpointStats.UNSEEN;
        }
        long value = anySeen ? now : EndpointStats.ALWAYS_WARM;
        for (Endpoint endpoint : endpoints) {
            endpoint.stats().firstSeen.compareAndSet(EndpointStats.UNSEEN, value);
        }
    }

    /** The weights now, or null when no endpoint is warming up (all weigh the same). */
    Weights weights() {
        Weights w = current;
        if (w == DONE) {
            return null;
        }
        long now = clock.getAsLong();
        if (w == null || now - w.builtAt >= refreshNanos || now - w.builtAt < 0) {
            w = compute(now);
            current = w; // a race with another thread's computation is harmless: both are right
        }
        return w == DONE ? null : w;
    }

    /** The factor, in (0, 1], that warm-up scales this endpoint's weight by at {@code now}. */
    double factor(Endpoint endpoint, long now) {
        long firstSeen = endpoint.stats().firstSeen.get();
        if (firstSeen == EndpointStats.UNSEEN || firstSeen == EndpointStats.ALWAYS_WARM) {
            return 1;
        }
        long elapsed = now - firstSeen;
        if (elapsed >= windowNanos) {
            return 1;
        }
        double timeFactor = (double) Math.max(MIN_ELAPSED_NANOS, elapsed) / windowNanos;
        double ramped = aggression == 1.0 ? timeFactor : Math.pow(timeFactor, 1 / aggression);
        return Math.min(1, Math.max(minFactor, ramped));
    }

    private Weights compute(long now) {
        double[] weight = new double[endpoints.length];
        double[] cumulative = new double[endpoints.length];
        boolean warming = false;
        double total = 0;
        for (int i = 0; i < endpoints.length; i++) {
            weight[i] = factor(endpoints[i], now);
            warming |= weight[i] < 1;
            total += weight[i];
            cumulative[i] = total;
        }
        return warming ? new Weights(weight, cumulative, total, now) : DONE;
    }

    /** Endpoint weights at one moment, with their running sums for weighted choice. */
    record Weights(double[] weight, double[] cumulative, double total, long builtAt) {
        /** The endpoint index that {@code u}, in [0, 1), falls on when endpoints take shares by weight. */
        int select(double u) {
            return search(u * total);
        }

        /** Like {@link #select}, but never {@code excluded}: the others take shares by weight. */
        int selectOther(int excluded, double u) {
            double before = cumulative[excluded] - weight[excluded];
            double target = u * (total - weight[excluded]);
            if (target >= before) {
                target += weight[excluded];
            }
            int i = search(target);
            return i == excluded ? (i + 1) % weight.length : i; // only at a rounding edge
        }

        private int search(double target) {
            int lo = 0;
            int hi = cumulative.length - 1;
            while (lo < hi) { // the first running sum above the target
                int mid = (lo + hi) >>> 1;
                if (cumulative[mid] > target) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            return lo;
        }
    }
}
