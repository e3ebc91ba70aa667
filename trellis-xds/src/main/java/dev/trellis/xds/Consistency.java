package dev.trellis.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks that a snapshot is whole before it goes out: every route configuration a listener names
 * exists (whether its connection manager sits in a filter chain or in an {@code api_listener}),
 * every cluster a route sends or mirrors to, or a TCP proxy names, exists, and every EDS cluster
 * has its endpoints. A
 * client handed an inconsistent snapshot would wait for resources that never come.
 */
public final class Consistency {
    private Consistency() {}

    /** What is missing; empty when the snapshot is consistent. */
    public static List<String> problems(XdsResources resources) {
        List<String> problems = new ArrayList<>();
        for (Listener listener : resources.listeners().values()) {
            List<Any> configs = new ArrayList<>();
            if (listener.hasApiListener()) {
                configs.add(listener.getApiListener().getApiListener());
            }
            for (FilterChain chain : listener.getFilterChainsList()) {
                chain.getFiltersList().stream().map(Filter::getTypedConfig).forEach(configs::add);
            }
            for (Any config : configs) {
                try {
                    if (config.is(HttpConnectionManager.class)) {
                        HttpConnectionManager hcm = config.unpack(HttpConnectionManager.class);
                        if (hcm.hasRds() && !resources.routes().containsKey(hcm.getRds().getRouteConfigName())) {
                            problems.add("listener " + listener.getName() + " names route configuration "
                                    + hcm.getRds().getRouteConfigName() + ", which is not in the snapshot");
                        }
                        if (hcm.hasRouteConfig()) {
                            clustersOf(hcm.getRouteConfig(), resources, problems);
                        }
                    } else if (config.is(TcpProxy.class)) {
                        String cluster = config.unpack(TcpProxy.class).getCluster();
                        if (!resources.clusters().containsKey(cluster)) {
                            problems.add("listener " + listener.getName() + " names cluster " + cluster + ", which is not in the snapshot");
                        }
                    }
                } catch (InvalidProtocolBufferException e) {
                    problems.add("listener " + listener.getName() + ": cannot read " + config.getTypeUrl() + ": " + e.getMessage());
                }
            }
        }
        resources.routes().values().forEach(routes -> clustersOf(routes, resources, problems));
        for (Cluster cluster : resources.clusters().values()) {
            if (cluster.getType() == Cluster.DiscoveryType.EDS && !resources.endpoints().containsKey(cluster.getName())) {
                problems.add("EDS cluster " + cluster.getName() + " has no endpoints resource in the snapshot");
            }
        }
        for (String name : resources.endpoints().keySet()) {
            if (!resources.clusters().containsKey(name)) {
                problems.add("endpoints " + name + " belong to no cluster in the snapshot");
            }
        }
        return problems;
    }

    private static void clustersOf(RouteConfiguration routes, XdsResources resources, List<String> problems) {
        for (VirtualHost host : routes.getVirtualHostsList()) {
            for (Route route : host.getRoutesList()) {
                List<String> names = new ArrayList<>();
                if (route.getRoute().hasWeightedClusters()) {
                    route.getRoute().getWeightedClusters().getClustersList().stream()
                            .map(WeightedCluster.ClusterWeight::getName)
                            .forEach(names::add);
                } else if (route.hasRoute()) {
                    names.add(route.getRoute().getCluster());
                }
                route.getRoute().getRequestMirrorPoliciesList().stream()
                        .map(RouteAction.RequestMirrorPolicy::getCluster)
                        .forEach(names::add);
                for (String name : names) {
                    if (!resources.clusters().containsKey(name)) {
                        problems.add("route " + route.getName() + " of " + routes.getName() + " names cluster " + name
                                + ", which is not in the snapshot");
                    }
                }
            }
        }
    }
}
