package dev.trellis.proxy.balance;

import java.util.List;

/** Builds the balancer of an {@link LbPolicy} over a fixed set of endpoints. */
final class Balancers {
    private Balancers() {}

    /** A balancer over a cluster's endpoints, noting first which of them are new (for warm-up). */
    static Balancer create(LbPolicy policy, List<Endpoint> endpoints, LbSettings settings, LbEnv env) {
        Warmup.stamp(endpoints, env.nanoClock().getAsLong());
        return build(policy, endpoints.toArray(Endpoint[]::new), settings, env);
    }

    /** A balancer over some of a cluster's endpoints, already stamped by {@link Warmup#stamp}. */
    static Balancer build(LbPolicy policy, Endpoint[] endpoints, LbSettings settings, LbEnv env) {
        return switch (policy) {
            case ROUND_ROBIN -> new RoundRobinBalancer(endpoints, Warmup.of(endpoints, settings, env.nanoClock()));
            case LEAST_REQUEST -> new LeastRequestBalancer(endpoints, Warmup.of(endpoints, settings, env.nanoClock()), env.random());
            case RANDOM -> new RandomBalancer(endpoints, env.random());
            case RING_HASH -> new RingHashBalancer(endpoints, env.random());
            case PEAK_EWMA -> new PeakEwmaBalancer(endpoints, settings, env);
        };
    }
}
