package dev.trellis.proxy.balance;

import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Linkerd's balancer: the power of two choices over a latency-aware cost (tower's
 * {@code p2c::Balance} over {@code load::PeakEwma}, itself from Finagle). Each endpoint has an RTT
 * estimate; its cost is estimate × (requests in flight + 1), and of two distinct random endpoints
 * the cheaper one is taken (a tie goes to the first drawn, as in tower).
 *
 * <p>The estimate, per endpoint and shared by all event loops (it lives in {@link EndpointStats}):
 * <ul>
 *   <li>starts at the default RTT (linkerd2-proxy: 30 ms) when a peak-EWMA balancer first sees the
 *       endpoint. Unlike tower, an endpoint never measured and with nothing in flight costs nothing,
 *       so it is probed by the next request that draws it (as Finagle starts an endpoint at zero);
 *       with its probe in flight it costs the default RTT per request, so a new endpoint is not
 *       flooded before it answers; and its first response replaces the default. Otherwise a
 *       loopback endpoint joining measured ones at 1 ms would wait half a minute for its assumed
 *       30 ms to decay before any request tried it;
 *   <li>between observations decays toward zero, e^(-Δt/τ), τ being the decay (linkerd2-proxy:
 *       10 s): tower decays the estimate at every load read, and this is what lets an endpoint
 *       that was avoided after a slow spell, or never measured, be tried again;
 *   <li>on an observation slower than the decayed estimate, jumps to it at once (the peak);
 *   <li>on a faster one, moves toward it: decayed × w + observed × (1 - w), w = e^(-Δt/τ), Δt being
 *       the time since the previous observation.
 * </ul>
 * Unlike tower, reading a cost writes nothing (the decay is computed, not stored), so the pick path
 * takes no lock and makes no compare-and-set; only {@link #record} does.
 */
final class PeakEwmaBalancer implements Balancer {
    private final Endpoint[] endpoints;
    private final Ewma ewma;
    private final Supplier<RandomGenerator> random;

    PeakEwmaBalancer(Endpoint[] endpoints, LbSettings settings, LbEnv env) {
        this.endpoints = endpoints;
        this.ewma = new Ewma(settings, env.nanoClock());
        this.random = env.random();
        ewma.start(endpoints);
    }

    @Override
    public Endpoint pick(PickContext request) {
        int n = endpoints.length;
        if (n <= 1) {
            return n == 0 ? null : endpoints[0];
        }
        RandomGenerator random = this.random.get();
        int i = random.nextInt(n);
        int j = random.nextInt(n - 1);
        if (j >= i) {
            j++;
        }
        long now = ewma.clock.getAsLong();
        Endpoint a = endpoints[i];
        Endpoint b = endpoints[j];
        return ewma.cost(b, now) < ewma.cost(a, now) ? b : a;
    }

    @Override
    public void record(Endpoint endpoint, long latencyNanos, long nowNanos) {
        ewma.record(endpoint, latencyNanos, nowNanos);
    }

    /** The peak-EWMA arithmetic with one cluster's settings; stateless apart from the endpoints'. */
    static final class Ewma {
        private final double decayNanos;
        private final double defaultRttNanos;
        final LongSupplier clock;

        Ewma(LbSettings settings, LongSupplier clock) {
            this.decayNanos = settings.ewmaDecay().toNanos();
            this.defaultRttNanos = settings.ewmaDefaultRtt().toNanos();
            this.clock = clock;
        }

        /** Gives endpoints not measured yet the default RTT, from now on (tower: on insertion). */
        void start(Endpoint[] endpoints) {
            long now = clock.getAsLong();
            for (Endpoint endpoint : endpoints) {
                endpoint.stats().rtt.compareAndSet(null, new EndpointStats.Rtt(defaultRttNanos, now, false));
            }
        }

        /** The RTT estimate of {@code endpoint} at {@code now}, in nanoseconds. */
        double estimate(Endpoint endpoint, long now) {
            EndpointStats.Rtt rtt = endpoint.stats().rtt.get();
            return rtt == null ? defaultRttNanos : decayed(rtt, now);
        }

        /** What it would cost to send one more request to {@code endpoint} at {@code now}: 0 for a probe. */
        double cost(Endpoint endpoint, long now) {
            int active = endpoint.activeRequests();
            EndpointStats.Rtt rtt = endpoint.stats().rtt.get();
            if (active == 0 && (rtt == null || !rtt.measured())) {
                return 0; // never measured: worth a probe
            }
            return estimate(endpoint, now) * (active + 1);
        }

        void record(Endpoint endpoint, long latencyNanos, long nowNanos) {
            double observed = Math.max(0, latencyNanos);
            var slot = endpoint.stats().rtt;
            while (true) {
                EndpointStats.Rtt prior = slot.get();
                EndpointStats.Rtt next;
                if (prior == null || !prior.measured()) {
                    next = new EndpointStats.Rtt(observed, nowNanos, true); // the first response replaces the default
                } else {
                    // A clock read on another event loop may be a little behind: then no time passed.
                    long elapsed = Math.max(0, nowNanos - prior.stampNanos());
                    double w = Math.exp(-elapsed / decayNanos);
                    double decayed = prior.nanos() * w;
                    double estimate = observed > decayed ? observed : decayed * w + observed * (1 - w);
                    next = new EndpointStats.Rtt(estimate, prior.stampNanos() + elapsed, true);
                }
                if (slot.compareAndSet(prior, next)) {
                    return;
                }
            }
        }

        private double decayed(EndpointStats.Rtt rtt, long now) {
            long elapsed = now - rtt.stampNanos();
            return elapsed <= 0 ? rtt.nanos() : rtt.nanos() * Math.exp(-elapsed / decayNanos);
        }
    }
}
