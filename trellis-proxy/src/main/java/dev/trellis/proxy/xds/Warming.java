package dev.trellis.proxy.xds;

import dev.trellis.xds.XdsResources;
import dev.trellis.xds.XdsType;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Decides which accepted resources run, as Envoy warms them, so that an update never sends a
 * request where it cannot be served:
 * <ul>
 *   <li>an EDS cluster runs once its ClusterLoadAssignment has arrived; until then, a running
 *       cluster of the same name keeps running, with its running endpoints;</li>
 *   <li>a route configuration runs once every cluster it names is running or unknown to CDS (a
 *       route to an unknown cluster answers 503, as in Envoy); until then the running one of the
 *       same name stays;</li>
 *   <li>a listener runs once its route configurations and the clusters of its TCP proxy can;
 *       until then a running listener of the same name keeps serving as it is, and so does a
 *       running listener on the same address (one it replaces under another name), which hands
 *       its socket over once the new one runs;</li>
 *   <li>a cluster that CDS removed stays while a running route or listener still sends to it,
 *       so the removal of a route and of its cluster, which arrive as two responses, never leave
 *       a moment where the route has no cluster (make before break).</li>
 * </ul>
 * It also lends stand-ins for what has not arrived, so that the adapter can check every resource
 * of a response before it is accepted.
 */
public final class Warming {
    private Warming() {}

    /**
     * What the proxy should run: the accepted resources that are ready, and for those still
     * warming, the running resources of the same name.
     *
     * @param running the resources the proxy runs now
     */
    public static XdsResources candidate(XdsState accepted, XdsResources running) {
        XdsResources next = accepted.resources();
        SortedMap<String, Cluster> clusters = new TreeMap<>();
        SortedMap<String, ClusterLoadAssignment> endpoints = new TreeMap<>();
        Set<String> warming = new HashSet<>();
        for (Cluster cluster : next.clusters().values()) {
            Optional<String> eds = References.endpoints(cluster);
            if (eds.isEmpty() || next.endpoints().containsKey(eds.get())) {
                put(cluster, next, running, clusters, endpoints);
            } else if (running.clusters().containsKey(cluster.getName())) {
                put(running.clusters().get(cluster.getName()), next, running, clusters, endpoints);
            } else {
                warming.add(cluster.getName());
            }
        }

        SortedMap<String, RouteConfiguration> routes = new TreeMap<>();
        for (RouteConfiguration config : next.routes().values()) {
            if (References.clusters(config).stream().noneMatch(warming::contains)) {
                routes.put(config.getName(), config);
            } else if (running.routes().containsKey(config.getName())) {
                routes.put(config.getName(), running.routes().get(config.getName()));
            }
        }

        SortedMap<String, Listener> listeners = new TreeMap<>();
        List<Listener> waiting = new ArrayList<>();
        for (Listener listener : next.listeners().values()) {
            boolean ready = routes.keySet().containsAll(References.routes(listener))
                    && References.clusters(listener).stream().noneMatch(warming::contains);
            if (ready) {
                listeners.put(listener.getName(), listener);
            } else {
                waiting.add(listener);
                Listener same = running.listeners().get(listener.getName());
                if (same != null) {
                    listeners.put(same.getName(), same);
                }
            }
        }
        // A running listener on the address that a waiting one will take (a renamed listener, say)
        // keeps serving there, as it runs, until the waiting one can run and takes its socket over;
        // the port never refuses connections in between. Should LDS's new version of it move
        // elsewhere meanwhile, that move waits too.
        for (Listener listener : waiting) {
            Optional<Bound> address = address(listener);
            if (address.isEmpty()) {
                continue;
            }
            for (Listener held : running.listeners().values()) {
                if (!held.getName().equals(listener.getName()) && address.equals(address(held))) {
                    Listener chosen = listeners.get(held.getName());
                    if (chosen == null || !address.equals(address(chosen))) {
                        listeners.put(held.getName(), held);
                    }
                }
            }
        }
        for (Listener chosen : listeners.values()) {
            for (String name : References.routes(chosen)) {
                if (!routes.containsKey(name) && running.routes().containsKey(name)) {
                    routes.put(name, running.routes().get(name));
                }
            }
        }
        Set<String> named = new HashSet<>();
        listeners.values().forEach(listener -> named.addAll(References.routes(listener)));
        routes.keySet().retainAll(named);

        Set<String> sentTo = new HashSet<>();
        routes.values().forEach(config -> sentTo.addAll(References.clusters(config)));
        listeners.values().forEach(listener -> sentTo.addAll(References.clusters(listener)));
        for (String name : sentTo) {
            if (!clusters.containsKey(name) && running.clusters().containsKey(name)) {
                put(running.clusters().get(name), next, running, clusters, endpoints);
            }
        }
        return new XdsResources(clusters, endpoints, listeners, routes);
    }

    /** A host and a port that is not 0. */
    private record Bound(String host, int port) {}

    /** The address a listener binds, unless its port is 0 (any free one, which no other listener can want). */
    private static Optional<Bound> address(Listener listener) {
        SocketAddress address = listener.getAddress().getSocketAddress();
        return address.getPortValue() == 0
                ? Optional.empty()
                : Optional.of(new Bound(address.getAddress(), address.getPortValue()));
    }

    /** Adds a cluster and its endpoints, the accepted ones if there are, else the running ones. */
    private static void put(Cluster cluster, XdsResources next, XdsResources running,
            Map<String, Cluster> clusters, Map<String, ClusterLoadAssignment> endpoints) {
        clusters.put(cluster.getName(), cluster);
        References.endpoints(cluster).ifPresent(name -> {
            ClusterLoadAssignment assignment = next.endpoints().getOrDefault(name, running.endpoints().get(name));
            if (assignment != null) {
                endpoints.put(name, assignment);
            }
        });
    }

    /**
     * The accepted resources with a stand-in for each that has not arrived: an empty
     * ClusterLoadAssignment for an EDS cluster, an empty route configuration for a listener's RDS
     * name and, unless listeners are what is checked, an empty cluster for one a TCP proxy names.
     * The adapter then judges each resource on its own fields, and a response is refused only for
     * what it carries itself (a listener naming a cluster CDS never sent is a listener's fault).
     *
     * @param checked the type of the response being checked
     */
    public static XdsResources validationView(XdsState accepted, XdsType checked) {
        XdsResources resources = accepted.resources();
        SortedMap<String, ClusterLoadAssignment> endpoints = new TreeMap<>(resources.endpoints());
        for (String name : References.endpoints(resources.clusters().values())) {
            endpoints.putIfAbsent(name, ClusterLoadAssignment.newBuilder().setClusterName(name).build());
        }
        SortedMap<String, RouteConfiguration> routes = new TreeMap<>(resources.routes());
        for (String name : References.routes(resources.listeners().values())) {
            routes.putIfAbsent(name, RouteConfiguration.newBuilder()
                    .setName(name)
                    .addVirtualHosts(VirtualHost.newBuilder().setName(name).addDomains("*"))
                    .build());
        }
        SortedMap<String, Cluster> clusters = new TreeMap<>(resources.clusters());
        if (checked != XdsType.LISTENER) {
            for (Listener listener : resources.listeners().values()) {
                for (String name : References.clusters(listener)) {
                    clusters.putIfAbsent(name, Cluster.newBuilder()
                            .setName(name)
                            .setType(Cluster.DiscoveryType.STATIC)
                            .setLoadAssignment(ClusterLoadAssignment.newBuilder().setClusterName(name))
                            .build());
                }
            }
        }
        return new XdsResources(clusters, endpoints, resources.listeners(), routes);
    }
}
