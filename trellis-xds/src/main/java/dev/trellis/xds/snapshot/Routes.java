package dev.trellis.xds.snapshot;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import dev.trellis.model.HeaderOps;
import dev.trellis.model.HttpRoute;
import dev.trellis.model.LoadBalancer.HashKey;
import dev.trellis.model.Mirror;
import dev.trellis.model.RouteDestination;
import dev.trellis.model.RouteMatch;
import dev.trellis.model.RoutePolicy;
import dev.trellis.model.StringMatch;
import dev.trellis.model.WeightedDestination;
import dev.trellis.xds.MeshMetadata;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Translates one HTTP route of a VirtualService into Envoy routes: one per match condition, as
 * Istio does, since an Envoy route has a single match and its uri rewrite depends on that match.
 * Each carries the route's timeout, retry policy, mirrors and fault the way Istio writes them.
 */
final class Routes {
    /** Where a destination's traffic goes: its cluster, and its hash key when it hashes consistently. */
    record Target(String cluster, Optional<HashKey> hashKey) {}

    /** Matches the whole path, for a uri rewrite that replaces it. */
    static final String WHOLE_PATH = "^.*$";

    private Routes() {}

    /**
     * @param config the document the route comes from, kept in the route's metadata
     * @param targets resolves a destination; null when it cannot be (the problem is recorded by the caller)
     */
    static List<Route> translate(HttpRoute route, String config, Function<RouteDestination, Target> targets) {
        RouteAction.Builder action = action(route, targets);
        mirrors(action, route.policy().mirrors(), targets);
        List<RouteMatch> matches = route.matches().isEmpty() ? List.of(RouteMatch.ANY) : route.matches();
        List<Route> routes = new ArrayList<>();
        for (RouteMatch match : matches) {
            RouteAction.Builder forMatch = action.clone();
            route.rewrite().ifPresent(rewrite -> {
                rewrite.uri().ifPresent(uri -> rewriteUri(forMatch, match, uri));
                rewrite.authority().ifPresent(forMatch::setHostRewriteLiteral);
            });
            Route.Builder envoy = Route.newBuilder();
            route.policy().fault().ifPresent(fault -> envoy.putTypedPerFilterConfig(HttpFilters.FAULT, Any.pack(Faults.of(fault))));
            routes.add(envoy
                    .setName(route.name())
                    .setMatch(match(match))
                    .setRoute(forMatch)
                    .addAllRequestHeadersToAdd(Protos.headersToAdd(route.requestHeaders()))
                    .addAllRequestHeadersToRemove(route.requestHeaders().remove())
                    .addAllResponseHeadersToAdd(Protos.headersToAdd(route.responseHeaders()))
                    .addAllResponseHeadersToRemove(route.responseHeaders().remove())
                    .setMetadata(MeshMetadata.of(MeshMetadata.CONFIG, config))
                    .build());
        }
        return routes;
    }

    /** The route of a host without VirtualServices: every request to the destination, unchanged. */
    static HttpRoute direct(RouteDestination destination) {
        return new HttpRoute("default", List.of(),
                List.of(new WeightedDestination(destination, 100, HeaderOps.NONE, HeaderOps.NONE)),
                HeaderOps.NONE, HeaderOps.NONE, Optional.empty(), RoutePolicy.DEFAULT);
    }

    /** Whether any route of {@code routes} injects faults, and so needs the fault filter in its listener. */
    static boolean injectFaults(List<Route> routes) {
        return routes.stream().anyMatch(r -> r.containsTypedPerFilterConfig(HttpFilters.FAULT));
    }

    /**
     * One cluster when a single destination has no header changes of its own, else weighted
     * clusters. Destinations of weight 0 are left out, as Istio does. With the route's timeout and
     * its retry policy, which keeps a consistently hashed destination's host, as Istio's does.
     */
    private static RouteAction.Builder action(HttpRoute route, Function<RouteDestination, Target> targets) {
        List<WeightedDestination> destinations = route.destinations().size() == 1
                ? route.destinations()
                : route.destinations().stream().filter(d -> d.weight() > 0).toList();
        RouteAction.Builder action = RouteAction.newBuilder();
        timeout(action, route.policy().timeout());
        Set<HashKey> hashKeys = new LinkedHashSet<>();
        WeightedDestination only = destinations.size() == 1 ? destinations.get(0) : null;
        if (only != null && only.requestHeaders().isEmpty() && only.responseHeaders().isEmpty()) {
            Target target = targets.apply(only.destination());
            action.setCluster(target == null ? "" : target.cluster());
            if (target != null) {
                target.hashKey().ifPresent(hashKeys::add);
            }
        } else {
            WeightedCluster.Builder weighted = WeightedCluster.newBuilder();
            for (WeightedDestination destination : destinations) {
                Target target = targets.apply(destination.destination());
                if (target == null) {
                    continue;
                }
                target.hashKey().ifPresent(hashKeys::add);
                weighted.addClusters(WeightedCluster.ClusterWeight.newBuilder()
                        .setName(target.cluster())
                        .setWeight(UInt32Value.of(only != null ? 100 : destination.weight()))
                        .addAllRequestHeadersToAdd(Protos.headersToAdd(destination.requestHeaders()))
                        .addAllRequestHeadersToRemove(destination.requestHeaders().remove())
                        .addAllResponseHeadersToAdd(Protos.headersToAdd(destination.responseHeaders()))
                        .addAllResponseHeadersToRemove(destination.responseHeaders().remove()));
            }
            action.setWeightedClusters(weighted);
        }
        // Envoy hashes per route, not per cluster: the first key that yields a value decides.
        hashKeys.forEach(key -> action.addHashPolicy(hashPolicy(key)));
        boolean consistentHash = route.destinations().size() == 1 && !hashKeys.isEmpty();
        RetryPolicies.of(route.policy().retries(), consistentHash).ifPresent(action::setRetryPolicy);
        return action;
    }

    /**
     * The route's timeout, 0s for none said outright (Envoy reads an unset one as 15 s, Trellis and
     * Istio as none), and how far a caller's {@code grpc-timeout} may go: as far as the timeout, or
     * without bound when there is none, as Istio sets it.
     */
    static void timeout(RouteAction.Builder action, Duration timeout) {
        action.setTimeout(Protos.duration(timeout))
                .setMaxStreamDuration(RouteAction.MaxStreamDuration.newBuilder().setGrpcTimeoutHeaderMax(Protos.duration(timeout)));
    }

    /** A copy of the route's requests to each mirror that takes a share, as Istio writes it; a share of 0 copies none. */
    private static void mirrors(RouteAction.Builder action, List<Mirror> mirrors, Function<RouteDestination, Target> targets) {
        for (Mirror mirror : mirrors) {
            Target target = mirror.percent() > 0 ? targets.apply(mirror.destination()) : null;
            if (target != null) {
                action.addRequestMirrorPolicies(RouteAction.RequestMirrorPolicy.newBuilder()
                        .setCluster(target.cluster())
                        .setRuntimeFraction(RuntimeFractionalPercent.newBuilder().setDefaultValue(Protos.percent(mirror.percent()))));
            }
        }
    }

    static RouteAction.HashPolicy hashPolicy(HashKey key) {
        RouteAction.HashPolicy.Builder policy = RouteAction.HashPolicy.newBuilder().setTerminal(true);
        switch (key) {
            case HashKey.Header h -> policy.setHeader(RouteAction.HashPolicy.Header.newBuilder().setHeaderName(h.name()));
            case HashKey.Cookie c -> {
                RouteAction.HashPolicy.Cookie.Builder cookie = RouteAction.HashPolicy.Cookie.newBuilder().setName(c.name());
                if (c.path() != null && !c.path().isEmpty()) {
                    cookie.setPath(c.path());
                }
                // With a TTL the proxy sets the cookie when the request has none: a session cookie when it is 0s.
                cookie.setTtl(Protos.duration(c.ttl()));
                policy.setCookie(cookie);
            }
            case HashKey.SourceIp ignored -> policy.setConnectionProperties(
                    RouteAction.HashPolicy.ConnectionProperties.newBuilder().setSourceIp(true));
            case HashKey.QueryParameter q -> policy.setQueryParameter(RouteAction.HashPolicy.QueryParameter.newBuilder().setName(q.name()));
        }
        return policy.build();
    }

    /**
     * A prefix match swaps the matched prefix, an exact match the whole path (Envoy's
     * {@code prefix_rewrite} does both); after a regular expression, or with no uri condition, the
     * whole path is replaced. The query string stays either way.
     */
    private static void rewriteUri(RouteAction.Builder action, RouteMatch match, String uri) {
        if (match.uri().isPresent() && !(match.uri().get() instanceof StringMatch.Regex)) {
            action.setPrefixRewrite(uri);
        } else {
            action.setRegexRewrite(RegexMatchAndSubstitute.newBuilder()
                    .setPattern(Protos.regex(WHOLE_PATH))
                    .setSubstitution(uri));
        }
    }

    private static io.envoyproxy.envoy.config.route.v3.RouteMatch match(RouteMatch match) {
        io.envoyproxy.envoy.config.route.v3.RouteMatch.Builder envoy = io.envoyproxy.envoy.config.route.v3.RouteMatch.newBuilder();
        if (match.uri().isEmpty()) {
            envoy.setPrefix("/");
        } else {
            switch (match.uri().get()) {
                case StringMatch.Exact e -> envoy.setPath(e.value());
                case StringMatch.Prefix p -> envoy.setPrefix(p.value());
                case StringMatch.Regex r -> envoy.setSafeRegex(Protos.regex(r.value()));
            }
            // As in Istio, ignoreUriCase applies to exact and prefix matches; Envoy's case_sensitive likewise.
            if (match.ignoreUriCase() && !(match.uri().get() instanceof StringMatch.Regex)) {
                envoy.setCaseSensitive(BoolValue.of(false));
            }
        }
        match.method().ifPresent(m -> envoy.addHeaders(header(":method", m, false)));
        match.authority().ifPresent(m -> envoy.addHeaders(header(":authority", m, true)));
        Protos.sorted(match.headers()).forEach((name, m) -> envoy.addHeaders(header(name, m, false)));
        return envoy.build();
    }

    private static HeaderMatcher header(String name, StringMatch match, boolean ignoreCase) {
        return HeaderMatcher.newBuilder().setName(name).setStringMatch(Protos.stringMatcher(match, ignoreCase)).build();
    }
}
