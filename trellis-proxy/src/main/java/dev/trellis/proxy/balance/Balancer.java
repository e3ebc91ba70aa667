package dev.trellis.proxy.balance;

import java.util.List;

/**
 * Picks one endpoint of a cluster for a request. Implementations are safe to call from every
 * event loop at once and take no lock.
 */
public interface Balancer {
    /** The chosen endpoint, or null when the cluster has none. */
    Endpoint pick(PickContext request);

    static Balancer create(LbPolicy policy, List<Endpoint> endpoints) {
        Endpoint[] all = endpoints.toArray(Endpoint[]::new);
        return switch (policy) {
            case ROUND_ROBIN -> new RoundRobinBalancer(all);
            case LEAST_REQUEST -> new LeastRequestBalancer(all);
            case RANDOM -> new RandomBalancer(all);
            case RING_HASH -> new RingHashBalancer(all);
        };
    }
}
