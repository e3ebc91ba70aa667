package dev.trellis.xds.snapshot;

import com.google.protobuf.Any;
import dev.trellis.model.LocalRateLimit;
import dev.trellis.model.StringMatch;
import dev.trellis.xds.MeshMetadata;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The routes of an inbound HTTP listener, all to the local app, with no timeout and no retries, as
 * in Istio: first a route of its own for each path the service's LocalRateLimit gives a bucket, in
 * the order given, then one for every other request. All carry the listener's name, so the metrics
 * of the app's requests keep one {@code route_name}.
 */
final class InboundRoutes {
    private InboundRoutes() {}

    /**
     * @param name the listener's name, which every route takes
     * @param cluster the local app's cluster
     * @param limit the LocalRateLimit of the workload's service, if there is one
     */
    static List<Route> of(String name, String cluster, Optional<LocalRateLimit> limit) {
        List<Route> routes = new ArrayList<>();
        limit.ifPresent(l -> {
            for (LocalRateLimit.PathLimit path : l.routes()) {
                routes.add(route(name, cluster, match(path.path()))
                        .putTypedPerFilterConfig(HttpFilters.LOCAL_RATE_LIMIT, Any.pack(HttpFilters.rateLimit(path.tokenBucket())))
                        .setMetadata(MeshMetadata.of(MeshMetadata.CONFIG, l.meta().ref()))
                        .build());
            }
        });
        routes.add(route(name, cluster, RouteMatch.newBuilder().setPrefix("/").build()).build());
        return routes;
    }

    private static Route.Builder route(String name, String cluster, RouteMatch match) {
        RouteAction.Builder action = RouteAction.newBuilder().setCluster(cluster);
        Routes.timeout(action, Duration.ZERO);
        return Route.newBuilder().setName(name).setMatch(match).setRoute(action);
    }

    private static RouteMatch match(StringMatch path) {
        return switch (path) {
            case StringMatch.Exact e -> RouteMatch.newBuilder().setPath(e.value()).build();
            case StringMatch.Prefix p -> RouteMatch.newBuilder().setPrefix(p.value()).build();
            case StringMatch.Regex r -> throw new IllegalArgumentException("a LocalRateLimit path is never a regex: " + r.value());
        };
    }
}
