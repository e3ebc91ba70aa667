package dev.trellis.xds.snapshot;

import dev.trellis.model.Hosts;
import dev.trellis.model.HttpRoute;
import dev.trellis.model.LoadBalancer;
import dev.trellis.model.LocalRateLimit;
import dev.trellis.model.Locality;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.Protocol;
import dev.trellis.model.ProxyBootstrap;
import dev.trellis.model.RouteDestination;
import dev.trellis.model.Service;
import dev.trellis.model.ServicePort;
import dev.trellis.model.VirtualService;
import dev.trellis.xds.ResourceNames;
import dev.trellis.xds.XdsResources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Builds the xDS resources of one Trellis proxy from the mesh model, scoped to what it needs: a
 * listener per upstream with the routes of the VirtualServices for its host, an inbound listener
 * in front of its app, and the clusters and endpoints those use (every subset of each service
 * reached, so a weight moving to 0 and back never removes and re-adds a cluster).
 *
 * <p>An outbound listener runs the fault filter when any of its routes injects faults. The inbound
 * listener runs the local rate limit filter when a LocalRateLimit names the workload's service, its
 * token bucket the default, and has a route of its own for each path with a bucket of its own.
 *
 * <p>A reference that does not resolve (an undeclared host, port or subset) is a problem. The
 * resources are still complete and consistent: the reference gets a cluster without endpoints,
 * which answers 503 until the service appears (its instances may register later). Endpoints are
 * ranked for the proxy as a caller: its workload's locality and labels. A standalone
 * proxy refuses a configuration with problems; the control plane serves it and reports them.
 */
public final class ProxySnapshotBuilder {
    static final String OUTBOUND_HOST = "127.0.0.1";
    static final String INBOUND_HOST = "0.0.0.0";

    /** The resources, and what did not resolve. */
    public record Result(XdsResources resources, List<String> problems) {
        public Result {
            problems = List.copyOf(problems);
        }
    }

    private final MeshConfig mesh;
    private final ProxyBootstrap proxy;
    private final Caller caller;
    private final List<String> problems = new ArrayList<>();
    private final Map<String, Cluster> clusters = new TreeMap<>();
    private final Map<String, ClusterLoadAssignment> endpoints = new TreeMap<>();
    private final Map<String, Listener> listeners = new TreeMap<>();
    private final Map<String, RouteConfiguration> routes = new TreeMap<>();

    private ProxySnapshotBuilder(MeshConfig mesh, ProxyBootstrap proxy) {
        this.mesh = mesh;
        this.proxy = proxy;
        this.caller = new Caller(proxy.workload().locality(), proxy.workload().labels());
    }

    public static Result build(MeshConfig mesh, ProxyBootstrap proxy) {
        ProxySnapshotBuilder builder = new ProxySnapshotBuilder(mesh, proxy);
        proxy.inbound().ifPresent(builder::inbound);
        for (int i = 0; i < proxy.upstreams().size(); i++) {
            builder.outbound(proxy.upstreams().get(i), proxy.meta() + ": spec.upstreams[" + i + "]");
        }
        return new Result(new XdsResources(builder.clusters, builder.endpoints, builder.listeners, builder.routes), builder.problems);
    }

    private void inbound(ProxyBootstrap.Inbound inbound) {
        String service = Hosts.qualify(proxy.workload().service(), proxy.meta().namespace());
        String cluster = ResourceNames.inboundCluster(inbound.appPort());
        clusters.put(cluster, Clusters.local(cluster, service, inbound.protocol(),
                new Clusters.Member("127.0.0.1", inbound.appPort(), proxy.workload().labels(), Locality.NONE)));
        String name = ResourceNames.inboundListener(inbound.port());
        Optional<LocalRateLimit> limit = mesh.localRateLimit(service);
        if (inbound.protocol() == Protocol.TCP) {
            limit.ifPresent(l -> problems.add(l.meta() + ": spec.host: " + service + " is served by " + proxy.meta().ref()
                    + " over TCP (inbound.protocol), which has no requests to limit"));
            listeners.put(name, Listeners.tcp(name, INBOUND_HOST, inbound.port(), TrafficDirection.INBOUND, service, cluster, false));
            return;
        }
        routes.put(name, routeConfiguration(name, InboundRoutes.of(name, cluster, limit)));
        List<HttpFilter> filters = limit.map(l -> List.of(HttpFilters.localRateLimit(l.tokenBucket()))).orElse(List.of());
        listeners.put(name, Listeners.http(name, INBOUND_HOST, inbound.port(), TrafficDirection.INBOUND, service, name, filters));
    }

    private void outbound(ProxyBootstrap.Upstream upstream, String where) {
        String host = upstream.service();
        Optional<Service> service = mesh.service(host);
        Protocol protocol = Protocol.HTTP; // what an undeclared service is assumed to speak
        int before = problems.size();
        if (service.isEmpty()) {
            problems.add(where + ".service: " + host + " is not declared by any ServiceEntry");
        } else {
            Optional<ServicePort> port = service.get().port(upstream.port());
            if (port.isPresent()) {
                protocol = port.get().protocol();
            } else {
                problems.add(where + ".port: " + upstream.port() + " (expected one of the ports of "
                        + service.get().meta().ref() + ": " + service.get().ports().stream().map(ServicePort::number).toList() + ")");
            }
        }
        // Routes to the upstream itself need not report again what was just reported of it.
        String selfWhere = problems.size() == before ? where : null;
        String name = ResourceNames.outboundListener(upstream.bindPort(), host, upstream.port());
        RouteDestination self = Destinations.whole(host, upstream.port());
        if (protocol == Protocol.TCP) {
            Routes.Target target = target(self, selfWhere, upstream);
            listeners.put(name, Listeners.tcp(name, OUTBOUND_HOST, upstream.bindPort(), TrafficDirection.OUTBOUND, host,
                    target.cluster(), target.hashKey().filter(k -> k instanceof LoadBalancer.HashKey.SourceIp).isPresent()));
            return;
        }
        String routeConfig = ResourceNames.hostPort(host, upstream.port());
        List<VirtualService> virtualServices = mesh.virtualServicesFor(host);
        List<Route> envoyRoutes = new ArrayList<>();
        for (VirtualService vs : virtualServices) {
            for (HttpRoute route : vs.http()) {
                String routeWhere = vs.meta() + ": route " + route.name();
                envoyRoutes.addAll(Routes.translate(route, vs.meta().ref(), d -> target(d, routeWhere, upstream)));
            }
        }
        if (virtualServices.isEmpty()) {
            envoyRoutes.addAll(Routes.translate(Routes.direct(self), proxy.meta().ref(), d -> target(d, selfWhere, upstream)));
        }
        routes.put(routeConfig, routeConfiguration(routeConfig, envoyRoutes));
        List<HttpFilter> filters = Routes.injectFaults(envoyRoutes) ? List.of(HttpFilters.fault()) : List.of();
        listeners.put(name, Listeners.http(name, OUTBOUND_HOST, upstream.bindPort(), TrafficDirection.OUTBOUND, host, routeConfig, filters));
        // The upstream's own service whole and by subset, so shifting weights never adds or removes clusters.
        Destinations.wholeAndSubsets(mesh, host, upstream.port()).forEach(d -> target(d, selfWhere, upstream));
    }

    static RouteConfiguration routeConfiguration(String name, List<Route> routes) {
        return RouteConfiguration.newBuilder()
                .setName(name)
                .addVirtualHosts(VirtualHost.newBuilder().setName(name).addDomains("*").addAllRoutes(routes))
                .build();
    }

    /**
     * The cluster for a destination, created on first use. One that does not resolve gets a
     * cluster without endpoints, and a problem when {@code where} names the place to report it
     * (null: already reported).
     */
    private Routes.Target target(RouteDestination destination, String where, ProxyBootstrap.Upstream upstream) {
        Destinations.Destination resolved = Destinations.resolve(mesh, destination, upstream.port(), problem -> report(where, problem));
        if (!clusters.containsKey(resolved.cluster())) {
            Clusters.Built built = Clusters.service(resolved, caller);
            clusters.put(resolved.cluster(), built.cluster());
            if (built.endpoints() != null) {
                endpoints.put(resolved.cluster(), built.endpoints());
            }
        }
        return resolved.target();
    }

    private void report(String where, String problem) {
        if (where != null) {
            problems.add(where + ": " + problem);
        }
    }
}
