package dev.trellis.model;

import java.time.Duration;
import java.util.Objects;

/**
 * How a request picks one endpoint of a destination: the algorithm of Istio's LoadBalancerSettings
 * ({@code simple} or {@code consistentHash}); the rest of those settings is {@link LoadBalancerSettings}.
 */
public sealed interface LoadBalancer {
    /** Istio's default: the less loaded of two random endpoints. */
    LoadBalancer DEFAULT = new Simple(Simple.Algorithm.LEAST_REQUEST);

    /** A load-independent or load-aware algorithm that needs no key. */
    record Simple(Algorithm algorithm) implements LoadBalancer {
        public enum Algorithm {
            ROUND_ROBIN,
            LEAST_REQUEST,
            RANDOM
        }

        public Simple {
            Objects.requireNonNull(algorithm, "algorithm");
        }
    }

    /** Requests with the same key go to the same endpoint while the endpoints stay the same. */
    record ConsistentHash(HashKey key) implements LoadBalancer {
        public ConsistentHash {
            Objects.requireNonNull(key, "key");
        }
    }

    /** What a consistent hash is computed over. */
    sealed interface HashKey {
        /** The value of a request header; requests without it fall back to a random endpoint. */
        record Header(String name) implements HashKey {}

        /**
         * The value of a cookie. When the request has none and {@code ttl} is set, the proxy
         * generates one and sets it on the response, so the client sticks from then on.
         */
        record Cookie(String name, String path, Duration ttl) implements HashKey {}

        /** The client's IP address. */
        record SourceIp() implements HashKey {}

        /**
         * The value of a query parameter of the request's path, as sent (not decoded); the first
         * when it repeats. Requests without it fall back to a random endpoint.
         */
        record QueryParameter(String name) implements HashKey {}
    }
}
