package dev.trellis.config.istio;

import dev.trellis.config.internal.Choices;
import dev.trellis.config.internal.Durations;
import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Names;
import dev.trellis.config.internal.Node;
import dev.trellis.model.LoadBalancer;
import dev.trellis.model.LoadBalancer.HashKey;
import dev.trellis.model.LoadBalancer.Simple.Algorithm;
import dev.trellis.model.LoadBalancerSettings;
import dev.trellis.model.LoadBalancerSettings.Warmup;
import dev.trellis.model.LocalityLbSetting;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Reads a trafficPolicy's {@code loadBalancer}: the algorithm ({@code simple} or
 * {@code consistentHash}), the warm-up of new endpoints and {@code localityLbSetting}.
 */
final class LoadBalancerReader {
    private static final Fields LOAD_BALANCER =
            Fields.of("simple", "consistentHash", "localityLbSetting", "warmup", "warmupDurationSecs");
    /** Istio's oneof: at most one of them. */
    private static final Fields ALGORITHM = Fields.of("simple", "consistentHash");
    private static final Fields CONSISTENT_HASH =
            Fields.of("httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName")
                    .notImplemented("ringHash", "maglev", "minimumRingSize");
    private static final Fields COOKIE = Fields.of("name", "path", "ttl").notImplemented("attributes");
    private static final Fields WARMUP = Fields.of("duration", "minimumPercent", "aggression");
    // LEAST_CONN is Istio's older name for LEAST_REQUEST.
    private static final Choices<Algorithm> SIMPLE = Choices.of("ROUND_ROBIN", Algorithm.ROUND_ROBIN)
            .or("LEAST_REQUEST", Algorithm.LEAST_REQUEST)
            .or("LEAST_CONN", Algorithm.LEAST_REQUEST)
            .or("RANDOM", Algorithm.RANDOM)
            .notImplemented("PASSTHROUGH", "UNSPECIFIED");
    // Query parameter names as Envoy compares them: case-sensitive, and not empty.
    private static final String EXPECTED_PARAMETER = "a query parameter name";

    private LoadBalancerReader() {}

    static Optional<LoadBalancerSettings> read(Node lb) {
        if (!lb.isObject(LOAD_BALANCER)) {
            return Optional.empty();
        }
        if (LOAD_BALANCER.supported().stream().noneMatch(f -> lb.get(f).isPresent())) {
            lb.problem("at least one of " + String.join(", ", LOAD_BALANCER.supported()));
            return Optional.empty();
        }
        Optional<LoadBalancer> algorithm = Optional.empty();
        if (lb.get("simple").isPresent() || lb.get("consistentHash").isPresent()) {
            algorithm = lb.exactlyOneOf(ALGORITHM).flatMap(field -> field.equals("simple")
                    ? lb.get(field).oneOf(SIMPLE).map(LoadBalancer.Simple::new)
                    : hashKey(lb.get(field)).map(LoadBalancer.ConsistentHash::new));
        }
        Optional<Warmup> warmup = warmup(lb, algorithm);
        Optional<LocalityLbSetting> locality = LocalityLbSettingReader.read(lb.get("localityLbSetting"));
        return Optional.of(new LoadBalancerSettings(algorithm, warmup, locality));
    }

    /**
     * {@code warmup}, or the older {@code warmupDurationSecs}; Envoy slows the start of round robin
     * and least request only, so Istio drops a warm-up of any other algorithm: Trellis says so.
     */
    private static Optional<Warmup> warmup(Node lb, Optional<LoadBalancer> algorithm) {
        Node block = lb.get("warmup");
        Node secs = lb.get("warmupDurationSecs");
        if (block.isPresent() && secs.isPresent()) {
            secs.report(secs.given() + " beside warmup, which Istio would use alone (expected: warmup or warmupDurationSecs)");
            return Optional.empty();
        }
        Optional<Warmup> warmup = block.isPresent() ? warmupBlock(block) : Durations.millis(secs).map(Warmup::of);
        boolean slowable = algorithm.isEmpty() || algorithm.get().equals(new LoadBalancer.Simple(Algorithm.ROUND_ROBIN))
                || algorithm.get().equals(new LoadBalancer.Simple(Algorithm.LEAST_REQUEST));
        if (warmup.isPresent() && !slowable) {
            Node at = block.isPresent() ? block : secs;
            String beside = lb.get("simple").isPresent() ? "simple " + lb.get("simple").given() : "consistentHash";
            at.report("Envoy slows the start of round robin and least request only, and Istio ignores it beside " + beside
                    + " (expected: simple ROUND_ROBIN or LEAST_REQUEST, or no warm-up)");
            return Optional.empty();
        }
        return warmup;
    }

    private static Optional<Warmup> warmupBlock(Node warmup) {
        if (!warmup.isObject(WARMUP)) {
            return Optional.empty();
        }
        Node duration = warmup.get("duration");
        if (!duration.isPresent()) {
            duration.missing("a duration such as 60s");
        }
        Optional<Duration> window = Durations.millis(duration);
        OptionalDouble minimum = warmup.get("minimumPercent").number(0, 100);
        Node aggressionNode = warmup.get("aggression");
        OptionalDouble aggression = aggressionNode.number(0, Double.MAX_VALUE);
        if (aggression.isPresent() && aggression.getAsDouble() == 0) {
            aggressionNode.problem("a number above 0 (1 ramps up linearly)");
            return Optional.empty();
        }
        return window.map(w -> new Warmup(w, minimum.orElse(Warmup.DEFAULT_MINIMUM_PERCENT),
                aggression.orElse(Warmup.DEFAULT_AGGRESSION)));
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
            case "httpQueryParameterName" -> hash.get(field).requiredString(EXPECTED_PARAMETER).map(HashKey.QueryParameter::new);
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
