package dev.trellis.xds.snapshot;

import dev.trellis.model.HttpRoute;
import dev.trellis.model.LoadBalancer;
import dev.trellis.model.Locality;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.RouteDestination;
import dev.trellis.model.Service;
import dev.trellis.model.ServicePort;
import dev.trellis.model.VirtualService;
import dev.trellis.xds.ResourceNames;
import dev.trellis.xds.XdsResources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds what a proxyless gRPC client (a node without Trellis metadata, such as grpc-java dialing
 * {@code xds:///catalog.default.svc.cluster.local:50051}) is served: the whole mesh, as gRPC's xDS
 * client expects it. For every host and every HTTP, HTTP2 or GRPC port of every service:
 *
 * <ul>
 *   <li>LDS: a listener named {@code host:port}, the target's authority, whose {@code api_listener}
 *       names its routes for RDS over ADS, with the fault filter when a route injects faults, then
 *       the router;
 *   <li>RDS: a route configuration {@code host:port}, one virtual host for {@code host:port}, the
 *       host and its short forms, holding the routes of the VirtualServices for the host (or one
 *       route to the service when there are none), each with {@code case_sensitive} set;
 *   <li>CDS: a cluster {@code outbound|port|subset|host} for the port and for each subset of the
 *       host's DestinationRule, and for each other destination the routes name;
 *   <li>EDS: the endpoints of each EDS cluster, by locality, each weighted by its endpoint count
 *       (or its {@code distribute} share) and at the priority it has for the client's locality.
 * </ul>
 *
 * <p>What of the model reaches gRPC clients:
 *
 * <ul>
 *   <li>ServiceEntry: hosts; ports of protocol HTTP, HTTP2 and GRPC (TCP ports are left out), the
 *       protocol itself aside, since gRPC always speaks HTTP/2; IP endpoints with their port
 *       numbers (the endpoint's {@code ports}, else {@code targetPort}, else the port); endpoint
 *       labels, for subsets; a cluster whose one endpoint is a host name, as LOGICAL_DNS, which
 *       gRPC resolves itself.
 *   <li>DestinationRule: subsets; {@code loadBalancer.simple} ROUND_ROBIN and LEAST_REQUEST
 *       (LEAST_CONN), and LEAST_REQUEST when no algorithm is given (gRPC has no peak EWMA);
 *       {@code consistentHash} as RING_HASH, with {@code httpHeaderName} as the route's header hash
 *       policy; {@code localityLbSetting}, as the priorities and weights of the endpoints' localities;
 *       {@code connectionPool.http.http2MaxRequests}, as {@code circuit_breakers} {@code max_requests};
 *       {@code outlierDetection}'s interval, base ejection time and maximum ejection percent; the
 *       same per subset and per port.
 *   <li>VirtualService http routes, in order, with their names: {@code match.uri} exact, prefix and
 *       regex, and {@code ignoreUriCase} (as {@code case_sensitive}, stated on every route);
 *       {@code match.headers} exact, prefix and regex on the keys gRPC metadata carries;
 *       {@code match.method}, decided here since every gRPC call is a POST: a method that accepts
 *       POST is dropped from the match, and a match whose method does not is left out, no call
 *       being able to take it; {@code route} destinations with host, subset and port, and their
 *       weights (a weight of 0 left out, as for proxies).
 *   <li>The route's {@code timeout}, as {@code max_stream_duration} (0s: none), where gRPC reads it;
 *       its retries (Istio's default policy when it says nothing), narrowed to the attempts, gRPC
 *       status conditions and back-off gRPC reads; its {@code fault}, as the fault filter's
 *       per-route config.
 * </ul>
 *
 * <p>What does not, and what gRPC clients do instead:
 *
 * <ul>
 *   <li>{@code loadBalancer.simple} RANDOM: served as ROUND_ROBIN, since gRPC NACKs RANDOM. Listed
 *       in {@link Result#ignored()}.
 *   <li>{@code consistentHash} {@code httpCookie}, {@code httpQueryParameterName} and
 *       {@code useSourceIp}: the cluster is still a ring, but with no hash policy gRPC hashes each
 *       call at random (no stickiness). Listed in {@link Result#ignored()}.
 *   <li>{@code outlierDetection}'s consecutive-error detectors ({@code consecutive5xxErrors},
 *       {@code consecutiveGatewayErrors}, local-origin failures) and {@code minHealthPercent}:
 *       grpc-java ejects only by success rate and failure percentage, which Istio turns off, so its
 *       outlier detection ejects nothing; {@code connectionPool} but for {@code http2MaxRequests};
 *       {@code warmup}; {@code retryBudget} and RetryBudget documents (gRPC's retries have their
 *       own throttling). Listed in {@link Result#ignored()}.
 *   <li>{@code headers} request and response changes, of the route and of each destination, and
 *       {@code rewrite.uri} and {@code rewrite.authority}: the call goes out unchanged. Listed in
 *       {@link Result#ignored()}.
 *   <li>{@code match.authority}, and {@code match.headers} on pseudo-headers, on {@code -bin} keys
 *       or on names gRPC metadata cannot carry: gRPC's route matchers never see them, so that
 *       match is left out, and a route left with no match is left out. Listed in
 *       {@link Result#problems()}.
 *   <li>Host-name endpoints of a cluster with more than one endpoint: left out, the cluster keeping
 *       its IP endpoints. Listed in {@link Result#problems()}.
 *   <li>VirtualServices for hosts that no ServiceEntry declares: no listener carries them.
 *   <li>Mirrors, retry conditions that are not gRPC statuses, {@code perTryTimeout},
 *       {@code retryRemoteLocalities} and {@code retryIgnorePreviousHosts}: gRPC has none of them.
 *       Listed in {@link Result#ignored()}. A route whose retries name no gRPC status gets no retry
 *       policy; more retries than gRPC makes (4) reach it as 4.
 *   <li>LocalRateLimits, which limit a service's workloads on their own proxies.
 * </ul>
 *
 * <p>References that do not resolve are problems as for a proxy, and get a cluster without
 * endpoints, so that the snapshot stays complete: java-control-plane answers nothing for a type
 * while any name a client asks for is missing.
 */
public final class GrpcSnapshotBuilder {
    /**
     * The resources, what of the model they leave out in a way that changes where calls go
     * ({@code problems}), and what they leave out that gRPC clients do not apply ({@code ignored}).
     * Each entry names its document; none repeats.
     */
    public record Result(XdsResources resources, List<String> problems, List<String> ignored) {
        public Result {
            problems = List.copyOf(problems);
            ignored = List.copyOf(ignored);
        }
    }

    private final MeshConfig mesh;
    private final Caller caller;
    private final Set<String> problems = new LinkedHashSet<>();
    private final Set<String> ignored = new LinkedHashSet<>();
    private final Map<String, Cluster> clusters = new TreeMap<>();
    private final Map<String, ClusterLoadAssignment> endpoints = new TreeMap<>();
    private final Map<String, Listener> listeners = new TreeMap<>();
    private final Map<String, RouteConfiguration> routes = new TreeMap<>();

    private GrpcSnapshotBuilder(MeshConfig mesh, Locality caller) {
        this.mesh = mesh;
        this.caller = new Caller(caller, Map.of());
    }

    /** What a client that states no locality is served. */
    public static Result build(MeshConfig mesh) {
        return build(mesh, Locality.NONE);
    }

    /**
     * What a client in {@code locality} (its node's {@code locality}) is served: the same but for
     * the priorities and locality weights of its endpoints.
     */
    public static Result build(MeshConfig mesh, Locality locality) {
        GrpcSnapshotBuilder builder = new GrpcSnapshotBuilder(mesh, locality);
        for (Service service : mesh.services()) {
            for (String host : service.hosts()) {
                for (ServicePort port : service.ports()) {
                    if (port.protocol().isHttp()) {
                        builder.serve(service, host, port.number());
                    }
                }
            }
        }
        return new Result(new XdsResources(builder.clusters, builder.endpoints, builder.listeners, builder.routes),
                new ArrayList<>(builder.problems), new ArrayList<>(builder.ignored));
    }

    /** The listener, routes and own clusters of one service port, as called by {@code host}. */
    private void serve(Service service, String host, int port) {
        String name = ResourceNames.hostPort(host, port);
        List<Route> grpcRoutes = new ArrayList<>();
        List<VirtualService> virtualServices = mesh.virtualServicesFor(host);
        for (VirtualService vs : virtualServices) {
            for (HttpRoute route : vs.http()) {
                String where = vs.meta() + ": route " + route.name();
                GrpcRoutes.adapt(route, where, problems::add, ignored::add).ifPresent(adapted -> Routes
                        .translate(adapted, vs.meta().ref(), d -> target(d, where, port))
                        .forEach(r -> grpcRoutes.add(GrpcRoutes.finish(r))));
            }
        }
        String own = service.meta() + ": port " + port;
        if (virtualServices.isEmpty()) {
            Routes.translate(Routes.direct(Destinations.whole(host, port)), service.meta().ref(), d -> target(d, own, port))
                    .forEach(r -> grpcRoutes.add(GrpcRoutes.finish(r)));
        }
        routes.put(name, GrpcRoutes.routeConfiguration(name, host, port, grpcRoutes));
        List<HttpFilter> filters = Routes.injectFaults(grpcRoutes) ? List.of(HttpFilters.fault()) : List.of();
        listeners.put(name, Listeners.api(name, name, filters));
        Destinations.wholeAndSubsets(mesh, host, port).forEach(d -> target(d, own, port));
    }

    /** The cluster for a destination, created on first use; its hash key only when gRPC hashes on it. */
    private Routes.Target target(RouteDestination destination, String where, int callerPort) {
        Destinations.Destination resolved = Destinations.resolve(mesh, destination, callerPort, p -> problems.add(where + ": " + p));
        if (!clusters.containsKey(resolved.cluster())) {
            Clusters.Built built = GrpcClusters.service(resolved, caller, problems::add);
            clusters.put(resolved.cluster(), built.cluster());
            if (built.endpoints() != null) {
                endpoints.put(resolved.cluster(), built.endpoints());
            }
            notApplied(resolved);
        }
        Routes.Target target = resolved.target();
        return new Routes.Target(target.cluster(), target.hashKey().filter(k -> k instanceof LoadBalancer.HashKey.Header));
    }

    /** Notes what of the destination's policy gRPC clients do not apply. */
    private void notApplied(Destinations.Destination destination) {
        String rule = destination.rule().map(r -> r.meta() + ": ").orElse("");
        GrpcClusters.notApplied(destination.policy()).forEach(field -> ignored.add(rule + field + " does not reach gRPC clients"));
        destination.retryBudget().ifPresent(b -> ignored.add(b.meta() + ": a RetryBudget does not reach gRPC clients"));
        LoadBalancer balancer = destination.balancer();
        if (balancer instanceof LoadBalancer.ConsistentHash hash && !(hash.key() instanceof LoadBalancer.HashKey.Header)) {
            String key = switch (hash.key()) {
                case LoadBalancer.HashKey.Cookie cookie -> "httpCookie " + cookie.name();
                case LoadBalancer.HashKey.QueryParameter query -> "httpQueryParameterName " + query.name();
                default -> "useSourceIp";
            };
            ignored.add(rule + "consistentHash." + key + " does not reach gRPC clients; they hash each call at random");
        } else if (balancer.equals(new LoadBalancer.Simple(LoadBalancer.Simple.Algorithm.RANDOM))) {
            ignored.add(rule + "loadBalancer.simple RANDOM reaches gRPC clients as ROUND_ROBIN, since gRPC has no random balancer");
        }
    }
}
