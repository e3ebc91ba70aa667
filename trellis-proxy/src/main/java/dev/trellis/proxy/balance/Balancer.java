package dev.trellis.proxy.balance;

import dev.trellis.model.LoadBalancer;
import java.util.List;

/**
 * Picks one endpoint of a cluster for a request. Implementations are safe to call from every
 * event loop at once and take no lock.
 */
public interface Balancer {
    /** The chosen endpoint, or null when the cluster has none. */
    Endpoint pick(PickContext request);

    static Balancer create(LoadBalancer policy, List<Endpoint> endpoints) {
        Endpoint[] all = endpoints.toArray(Endpoint[]::new);
        return switch (policy) {
            case LoadBalancer.Simple s -> switch (s.algorithm()) {
                case ROUND_ROBIN -> new RoundRobinBalancer(all);
                case LEAST_REQUEST -> new LeastRequestBalancer(all);
                case RANDOM -> new RandomBalancer(all);
            };
            case LoadBalancer.ConsistentHash h -> new RingHashBalancer(all, h.key());
        };
    }
}
