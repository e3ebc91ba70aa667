package dev.trellis.proxy.config;

import dev.trellis.model.ConfigException;
import dev.trellis.model.DestinationRule;
import dev.trellis.model.HeaderOps;
import dev.trellis.model.Hosts;
import dev.trellis.model.HttpRoute;
import dev.trellis.model.LoadBalancer;
import dev.trellis.model.MeshConfig;
import dev.trellis.model.Protocol;
import dev.trellis.model.ProxyBootstrap;
import dev.trellis.model.RouteDestination;
import dev.trellis.model.Service;
import dev.trellis.model.ServicePort;
import dev.trellis.model.Subset;
import dev.trellis.model.TrafficPolicy;
import dev.trellis.model.VirtualService;
import dev.trellis.model.WeightedDestination;
import dev.trellis.proxy.route.HeaderMutation;
import dev.trellis.proxy.route.Route;
import dev.trellis.proxy.route.RouteTable;
import dev.trellis.proxy.route.WeightedCluster;
import dev.trellis.proxy.telemetry.Metrics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Compiles the mesh model into the config of one proxy: an outbound listener per upstream with
 * the routes of the virtual services for its host, an inbound listener in front of the app, and
 * the clusters they use. Clusters equal to ones of the previous config are carried over, so
 * their balancer state and load counters survive a reload.
 */
public final class ConfigCompiler {
    static final String OUTBOUND_HOST = "127.0.0.1";
    static final String INBOUND_HOST = "0.0.0.0";

    private final Metrics metrics;

    public ConfigCompiler(Metrics metrics) {
        this.metrics = metrics;
    }

    /**
     * @param proxyName which {@code Proxy} document to compile for; may be null when there is one
     * @param previous the config running now, or null
     */
    public ProxyConfig compile(MeshConfig mesh, String proxyName, ProxyConfig previous) throws ConfigException {
        ProxyBootstrap bootstrap = selectProxy(mesh, proxyName);
        Build build = new Build(mesh, bootstrap, previous);
        List<ListenerConfig> listeners = new ArrayList<>();
        bootstrap.inbound().ifPresent(inbound -> listeners.add(build.inbound(inbound)));
        for (int i = 0; i < bootstrap.upstreams().size(); i++) {
            ListenerConfig outbound = build.outbound(bootstrap.upstreams().get(i), i);
            if (outbound != null) {
                listeners.add(outbound);
            }
        }
        if (!build.problems.isEmpty()) {
            throw new ConfigException(build.problems);
        }
        return new ProxyConfig(bootstrap, listeners, build.clusters, mesh);
    }

    private static ProxyBootstrap selectProxy(MeshConfig mesh, String proxyName) throws ConfigException {
        if (proxyName != null) {
            return mesh.proxies().stream()
                    .filter(p -> p.meta().name().equals(proxyName))
                    .findFirst()
                    .orElseThrow(() -> new ConfigException("no Proxy document named " + proxyName + " (found: "
                            + mesh.proxies().stream().map(p -> p.meta().name()).toList() + ")"));
        }
        if (mesh.proxies().size() != 1) {
            throw new ConfigException(mesh.proxies().isEmpty()
                    ? "no Proxy document (kind: Proxy, apiVersion: trellis.dev/v1alpha1) in the configuration"
                    : "several Proxy documents " + mesh.proxies().stream().map(p -> p.meta().name()).toList()
                            + ": name the one to run with --name");
        }
        return mesh.proxies().get(0);
    }

    /** The state of one compilation. */
    private final class Build {
        final MeshConfig mesh;
        final ProxyBootstrap bootstrap;
        final ProxyConfig previous;
        final Map<String, Cluster> clusters = new LinkedHashMap<>();
        final List<String> problems = new ArrayList<>();

        Build(MeshConfig mesh, ProxyBootstrap bootstrap, ProxyConfig previous) {
            this.mesh = mesh;
            this.bootstrap = bootstrap;
            this.previous = previous;
        }

        ListenerConfig inbound(ProxyBootstrap.Inbound inbound) {
            String service = Hosts.qualify(bootstrap.workload().service(), bootstrap.meta().namespace());
            Cluster app = cluster(new Cluster.Spec(
                    "inbound|" + inbound.appPort() + "||",
                    service,
                    inbound.protocol(),
                    List.of(new Cluster.EndpointSpec("127.0.0.1", inbound.appPort(), bootstrap.workload().labels())),
                    new LoadBalancer.Simple(LoadBalancer.Simple.Algorithm.ROUND_ROBIN)));
            Map<String, String> labels = inboundLabels(service, "inbound|" + inbound.port());
            WeightedCluster toApp = new WeightedCluster(
                    app, 100, HeaderMutation.NONE, HeaderMutation.NONE, metrics.requestStats(labels));
            HttpRoute route = new HttpRoute("inbound|" + inbound.port(), List.of(),
                    List.of(new WeightedDestination(new RouteDestination(service, Optional.empty(), OptionalInt.empty()),
                            100, HeaderOps.NONE, HeaderOps.NONE)),
                    HeaderOps.NONE, HeaderOps.NONE, Optional.empty());
            return new ListenerConfig("inbound|" + inbound.port(), ListenerConfig.Direction.INBOUND, INBOUND_HOST, inbound.port(),
                    inbound.protocol(), new RouteTable(List.of(new Route(route, d -> toApp))),
                    inbound.protocol() == Protocol.TCP ? app : null,
                    metrics.requestStats(inboundLabels(service, "")));
        }

        ListenerConfig outbound(ProxyBootstrap.Upstream upstream, int index) {
            String where = bootstrap.meta() + ": spec.upstreams[" + index + "]";
            Optional<Service> service = mesh.service(upstream.service());
            if (service.isEmpty()) {
                problems.add(where + ".service: " + upstream.service() + " is not declared by any ServiceEntry");
                return null;
            }
            Optional<ServicePort> port = service.get().port(upstream.port());
            if (port.isEmpty()) {
                problems.add(where + ".port: " + upstream.port() + " (expected one of the ports of "
                        + service.get().meta().ref() + ": " + service.get().ports().stream().map(ServicePort::number).toList() + ")");
                return null;
            }
            Protocol protocol = port.get().protocol();
            String name = "outbound|" + upstream.bindPort() + "|" + upstream.service() + ":" + upstream.port();
            RouteTable routes;
            Cluster tcpCluster = null;
            if (protocol == Protocol.TCP) {
                tcpCluster = destinationCluster(new RouteDestination(upstream.service(), Optional.empty(),
                        OptionalInt.of(upstream.port())), where, upstream.port());
                routes = new RouteTable(List.of());
            } else {
                routes = routes(upstream, where);
            }
            return new ListenerConfig(name, ListenerConfig.Direction.OUTBOUND, OUTBOUND_HOST, upstream.bindPort(), protocol,
                    routes, tcpCluster, metrics.requestStats(outboundLabels(upstream.service(), "", "")));
        }

        /** The routes of the virtual services for the host, or one route to the host itself. */
        private RouteTable routes(ProxyBootstrap.Upstream upstream, String where) {
            List<VirtualService> virtualServices = mesh.virtualServicesFor(upstream.service());
            List<HttpRoute> httpRoutes = new ArrayList<>();
            virtualServices.forEach(vs -> httpRoutes.addAll(vs.http()));
            if (virtualServices.isEmpty()) {
                httpRoutes.add(new HttpRoute("default", List.of(),
                        List.of(new WeightedDestination(new RouteDestination(upstream.service(), Optional.empty(),
                                OptionalInt.of(upstream.port())), 100, HeaderOps.NONE, HeaderOps.NONE)),
                        HeaderOps.NONE, HeaderOps.NONE, Optional.empty()));
            }
            List<Route> routes = new ArrayList<>();
            for (HttpRoute httpRoute : httpRoutes) {
                String routeWhere = virtualServices.isEmpty() ? where
                        : virtualServices.stream().filter(v -> v.http().contains(httpRoute)).findFirst().orElseThrow().meta()
                                + ": route " + httpRoute.name();
                routes.add(new Route(httpRoute, d -> {
                    Cluster cluster = destinationCluster(d.destination(), routeWhere, upstream.port());
                    return cluster == null ? null : new WeightedCluster(cluster, d.weight(),
                            HeaderMutation.of(d.requestHeaders()), HeaderMutation.of(d.responseHeaders()),
                            metrics.requestStats(outboundLabels(cluster.service(), httpRoute.name(), cluster.name())));
                }));
            }
            return new RouteTable(routes);
        }

        /** The cluster for a destination, or null after recording why there is none. */
        private Cluster destinationCluster(RouteDestination destination, String where, int listenerPort) {
            Optional<Service> service = mesh.service(destination.host());
            if (service.isEmpty()) {
                problems.add(where + ": destination host " + destination.host() + " is not declared by any ServiceEntry");
                return null;
            }
            List<ServicePort> ports = service.get().ports();
            int number = destination.port().orElse(
                    ports.size() == 1 ? ports.get(0).number() : destination.host().equals(service.get().hosts().get(0)) ? listenerPort : -1);
            Optional<ServicePort> port = service.get().port(number);
            if (port.isEmpty()) {
                problems.add(where + ": destination " + destination.host() + " needs a port.number, one of "
                        + ports.stream().map(ServicePort::number).toList());
                return null;
            }
            Optional<DestinationRule> rule = mesh.destinationRule(destination.host());
            TrafficPolicy policy = rule.map(DestinationRule::trafficPolicy).orElse(TrafficPolicy.NONE);
            Optional<Subset> subset = Optional.empty();
            if (destination.subset().isPresent()) {
                String subsetName = destination.subset().get();
                subset = rule.flatMap(r -> r.subset(subsetName));
                if (subset.isEmpty()) {
                    problems.add(where + ": destination " + destination.host() + " subset " + subsetName + " is not defined"
                            + rule.map(r -> " in " + r.meta().ref() + " (subsets: "
                                    + r.subsets().stream().map(Subset::name).toList() + ")").orElse(" (no DestinationRule for the host)"));
                    return null;
                }
                policy = subset.get().trafficPolicy().orElse(policy);
            }
            Optional<Subset> selected = subset;
            List<Cluster.EndpointSpec> endpoints = service.get().endpoints().stream()
                    .filter(e -> selected.map(s -> s.selects(e.labels())).orElse(true))
                    .map(e -> new Cluster.EndpointSpec(e.address(), e.portFor(port.get()), e.labels()))
                    .toList();
            return cluster(new Cluster.Spec(
                    "outbound|" + number + "|" + subset.map(Subset::name).orElse("") + "|" + destination.host(),
                    destination.host(),
                    port.get().protocol(),
                    endpoints,
                    policy.loadBalancer().orElse(LoadBalancer.DEFAULT)));
        }

        /** One cluster per spec: reused from this build or the previous config when equal. */
        private Cluster cluster(Cluster.Spec spec) {
            Cluster existing = clusters.get(spec.name());
            if (existing != null) {
                return existing;
            }
            Cluster old = previous == null ? null : previous.clusters().get(spec.name());
            Cluster cluster = old != null && old.spec().equals(spec) ? old : new Cluster(spec);
            clusters.put(spec.name(), cluster);
            return cluster;
        }

        private Map<String, String> outboundLabels(String service, String route, String cluster) {
            Map<String, String> labels = new LinkedHashMap<>();
            labels.put("reporter", "source");
            labels.put("source_workload", bootstrap.workload().service());
            labels.put("source_workload_namespace", bootstrap.meta().namespace());
            serviceLabels(labels, service);
            labels.put("route_name", route);
            labels.put("upstream_cluster", cluster);
            return labels;
        }

        private Map<String, String> inboundLabels(String service, String route) {
            Map<String, String> labels = new LinkedHashMap<>();
            labels.put("reporter", "destination");
            labels.put("destination_workload", bootstrap.workload().service());
            labels.put("destination_workload_namespace", bootstrap.meta().namespace());
            serviceLabels(labels, service);
            labels.put("route_name", route);
            labels.put("upstream_cluster", route.isEmpty() ? "" : "inbound|" + bootstrap.inbound().orElseThrow().appPort() + "||");
            return labels;
        }

        private static void serviceLabels(Map<String, String> labels, String service) {
            labels.put("destination_service", service);
            String[] parts = service.split("\\.");
            boolean inCluster = service.endsWith("." + Hosts.CLUSTER_DOMAIN) && parts.length >= 4;
            labels.put("destination_service_name", inCluster ? parts[0] : service);
            labels.put("destination_service_namespace", inCluster ? parts[1] : "unknown");
        }
    }
}
