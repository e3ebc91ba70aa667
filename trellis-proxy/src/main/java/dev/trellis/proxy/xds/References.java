package dev.trellis.proxy.xds;

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
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What one xDS resource names of others: the endpoints an EDS cluster waits for, the route
 * configurations an HTTP listener takes over RDS, the clusters that routes and TCP proxies send
 * (or mirror) to. A resource that cannot be read names nothing here; the adapter refuses it with the reason.
 */
final class References {
    private References() {}

    /** The ClusterLoadAssignment an EDS cluster takes its endpoints from; empty for other types. */
    static Optional<String> endpoints(Cluster cluster) {
        if (cluster.getType() != Cluster.DiscoveryType.EDS) {
            return Optional.empty();
        }
        String serviceName = cluster.getEdsClusterConfig().getServiceName();
        return Optional.of(serviceName.isEmpty() ? cluster.getName() : serviceName);
    }

    /** The EDS subscription these clusters need. */
    static Set<String> endpoints(Collection<Cluster> clusters) {
        Set<String> names = new TreeSet<>();
        clusters.forEach(cluster -> endpoints(cluster).ifPresent(names::add));
        return names;
    }

    /** The route configurations a listener's HTTP connection managers take over RDS. */
    static Set<String> routes(Listener listener) {
        Set<String> names = new TreeSet<>();
        for (Any config : filterConfigs(listener)) {
            connectionManager(config).filter(HttpConnectionManager::hasRds)
                    .ifPresent(hcm -> names.add(hcm.getRds().getRouteConfigName()));
        }
        return names;
    }

    /** The RDS subscription these listeners need. */
    static Set<String> routes(Collection<Listener> listeners) {
        Set<String> names = new TreeSet<>();
        listeners.forEach(listener -> names.addAll(routes(listener)));
        return names;
    }

    /** The clusters a listener sends to directly: those of its TCP proxies and inline route configurations. */
    static Set<String> clusters(Listener listener) {
        Set<String> names = new TreeSet<>();
        for (Any config : filterConfigs(listener)) {
            if (config.is(TcpProxy.class)) {
                try {
                    names.add(config.unpack(TcpProxy.class).getCluster());
                } catch (InvalidProtocolBufferException e) {
                    // unreadable: the adapter refuses it with the reason
                }
            }
            connectionManager(config).filter(HttpConnectionManager::hasRouteConfig)
                    .ifPresent(hcm -> names.addAll(clusters(hcm.getRouteConfig())));
        }
        return names;
    }

    /** The clusters the routes of a route configuration send and mirror to. */
    static Set<String> clusters(RouteConfiguration routes) {
        Set<String> names = new TreeSet<>();
        for (VirtualHost host : routes.getVirtualHostsList()) {
            for (Route route : host.getRoutesList()) {
                if (route.getRoute().hasWeightedClusters()) {
                    route.getRoute().getWeightedClusters().getClustersList().stream()
                            .map(WeightedCluster.ClusterWeight::getName)
                            .forEach(names::add);
                } else if (!route.getRoute().getCluster().isEmpty()) {
                    names.add(route.getRoute().getCluster());
                }
                route.getRoute().getRequestMirrorPoliciesList().stream()
                        .map(RouteAction.RequestMirrorPolicy::getCluster)
                        .filter(name -> !name.isEmpty())
                        .forEach(names::add);
            }
        }
        return names;
    }

    private static List<Any> filterConfigs(Listener listener) {
        List<Any> configs = new ArrayList<>();
        if (listener.hasApiListener()) {
            configs.add(listener.getApiListener().getApiListener());
        }
        for (FilterChain chain : listener.getFilterChainsList()) {
            chain.getFiltersList().stream().map(Filter::getTypedConfig).forEach(configs::add);
        }
        return configs;
    }

    private static Optional<HttpConnectionManager> connectionManager(Any config) {
        if (!config.is(HttpConnectionManager.class)) {
            return Optional.empty();
        }
        try {
            return Optional.of(config.unpack(HttpConnectionManager.class));
        } catch (InvalidProtocolBufferException e) {
            return Optional.empty();
        }
    }
}
