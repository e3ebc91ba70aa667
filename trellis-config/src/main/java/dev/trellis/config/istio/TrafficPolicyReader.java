package dev.trellis.config.istio;

import dev.trellis.config.internal.Choices;
import dev.trellis.config.internal.Durations;
import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Names;
import dev.trellis.config.internal.Node;
import dev.trellis.model.LoadBalancer;
import dev.trellis.model.LoadBalancer.HashKey;
import dev.trellis.model.LoadBalancer.Simple.Algorithm;
import dev.trellis.model.TrafficPolicy;
import java.time.Duration;
import java.util.Optional;

/** Reads a DestinationRule's {@code trafficPolicy}; of it, Trellis implements load balancing. */
final class TrafficPolicyReader {
    private static final Fields POLICY = Fields.of("loadBalancer").notImplemented(
            "connectionPool", "outlierDetection", "tls", "portLevelSettings", "tunnel", "proxyProtocol");
    private static final Fields LOAD_BALANCER = Fields.of("simple", "consistentHash")
            .notImplemented("localityLbSetting", "warmup", "warmupDurationSecs");
    private static final Fields CONSISTENT_HASH = Fields.of("httpHeaderName", "httpCookie", "useSourceIp")
            .notImplemented("httpQueryParameterName", "ringHash", "maglev", "minimumRingSize");
    private static final Fields COOKIE = Fields.of("name", "path", "ttl").notImplemented("attributes");
    // LEAST_CONN is Istio's older name for LEAST_REQUEST.
    private static final Choices<Algorithm> SIMPLE = Choices.of("ROUND_ROBIN", Algorithm.ROUND_ROBIN)
            .or("LEAST_REQUEST", Algorithm.LEAST_REQUEST)
            .or("LEAST_CONN", Algorithm.LEAST_REQUEST)
            .or("RANDOM", Algorithm.RANDOM)
            .notImplemented("PASSTHROUGH", "UNSPECIFIED");

    private TrafficPolicyReader() {}

    static TrafficPolicy read(Node policy) {
        if (!policy.isObject(POLICY)) {
            return TrafficPolicy.NONE;
        }
        return new TrafficPolicy(loadBalancer(policy.get("loadBalancer")));
    }

    private static Optional<LoadBalancer> loadBalancer(Node lb) {
        if (!lb.isObject(LOAD_BALANCER) || lb.exactlyOneOf(LOAD_BALANCER).isEmpty()) {
            return Optional.empty();
        }
        if (lb.get("simple").isPresent()) {
            return lb.get("simple").oneOf(SIMPLE).map(LoadBalancer.Simple::new);
        }
        return hashKey(lb.get("consistentHash")).map(LoadBalancer.ConsistentHash::new);
    }

    private static Optional<HashKey> hashKey(Node hash) {
        if (!hash.isObject(CONSISTENT_HASH)) {
            return Optional.empty();
        }
        return hash.exactlyOneOf(CONSISTENT_HASH).flatMap(field -> switch (field) {
            case "httpHeaderName" -> hash.get(field).string("a header name")
                    .flatMap(name -> Names.headerName(name, hash.get(field)))
                    .map(HashKey.Header::new);
            case "httpCookie" -> cookie(hash.get(field));
            default -> sourceIp(hash.get(field));
        });
    }

    private static Optional<HashKey> cookie(Node cookie) {
        if (!cookie.isObject(COOKIE)) {
            return Optional.empty();
        }
        Optional<String> name = cookie.get("name").requiredString("a cookie name");
        String path = cookie.get("path").string("a path").orElse("/");
        // Required, as by Istio: the model's Cookie always has one (0s: a session cookie).
        Optional<Duration> ttl = Durations.required(cookie.get("ttl"));
        return name.flatMap(n -> ttl.map(t -> new HashKey.Cookie(n, path, t)));
    }

    private static Optional<HashKey> sourceIp(Node useSourceIp) {
        Optional<Boolean> use = useSourceIp.bool();
        if (use.equals(Optional.of(false))) {
            useSourceIp.problem("true, or another hash key");
        }
        return use.filter(u -> u).map(u -> new HashKey.SourceIp());
    }
}
