package dev.trellis.proxy.xds;

import com.google.protobuf.Message;
import dev.trellis.xds.XdsResources;
import dev.trellis.xds.XdsType;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The xDS resources a proxy has accepted from its control plane, and the version of each type,
 * including those still warming. Immutable: accepting a response makes a new state.
 *
 * <p>Clusters and listeners arrive as a whole set (state of the world): a response replaces them.
 * Endpoints and route configurations are subscribed to by name, as the clusters and listeners
 * name them; a response may carry only some of them (the xDS protocol lets a server send just
 * the ones that changed), so it updates them by name, and a name leaves the state when no
 * accepted cluster or listener names it any more.
 */
public final class XdsState {
    public static final XdsState EMPTY = new XdsState(XdsResources.EMPTY, Map.of());

    private final XdsResources resources;
    private final Map<XdsType, String> versions;

    public XdsState(XdsResources resources, Map<XdsType, String> versions) {
        this.resources = resources;
        this.versions = Collections.unmodifiableMap(versions.isEmpty() ? new EnumMap<>(XdsType.class) : new EnumMap<>(versions));
    }

    /** Every accepted resource, warming ones included. */
    public XdsResources resources() {
        return resources;
    }

    /** The version of the last accepted response of {@code type}; empty before the first. */
    public Optional<String> version(XdsType type) {
        return Optional.ofNullable(versions.get(type));
    }

    /** The accepted version of every type that has one. */
    public Map<XdsType, String> versions() {
        return versions;
    }

    /**
     * The names to subscribe to for {@code type}: those the accepted clusters name for EDS, those
     * the accepted listeners name for RDS; empty (a wildcard subscription) for CDS and LDS.
     */
    public Set<String> subscription(XdsType type) {
        return switch (type) {
            case ENDPOINT -> References.endpoints(resources.clusters().values());
            case ROUTE -> References.routes(resources.listeners().values());
            case CLUSTER, LISTENER -> Set.of();
        };
    }

    /** This state with a response of {@code type} accepted: its resources by name, and its version. */
    public XdsState accept(XdsType type, String version, Map<String, ? extends Message> received) {
        Map<String, Message> merged = new TreeMap<>();
        if (type.namedByOthers()) {
            merged.putAll(resources.of(type));
        }
        merged.putAll(received);
        XdsResources next = resources.with(type, merged);
        next = next.with(XdsType.ENDPOINT, subscribed(next.endpoints(), References.endpoints(next.clusters().values())));
        next = next.with(XdsType.ROUTE, subscribed(next.routes(), References.routes(next.listeners().values())));
        Map<XdsType, String> nextVersions = new EnumMap<>(XdsType.class);
        nextVersions.putAll(versions);
        nextVersions.put(type, version);
        return new XdsState(next, nextVersions);
    }

    private static <T> SortedMap<String, T> subscribed(SortedMap<String, T> resources, Set<String> names) {
        SortedMap<String, T> kept = new TreeMap<>(resources);
        kept.keySet().retainAll(names);
        return kept;
    }

    /** The name a resource of {@code type} is known by: a cluster's, listener's or route configuration's name, an assignment's cluster name. */
    public static String name(XdsType type, Message resource) {
        return switch (type) {
            case CLUSTER -> ((Cluster) resource).getName();
            case ENDPOINT -> ((ClusterLoadAssignment) resource).getClusterName();
            case LISTENER -> ((Listener) resource).getName();
            case ROUTE -> ((RouteConfiguration) resource).getName();
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof XdsState other && resources.equals(other.resources) && versions.equals(other.versions);
    }

    @Override
    public int hashCode() {
        return resources.hashCode() * 31 + versions.hashCode();
    }

    @Override
    public String toString() {
        return "XdsState{versions=" + versions + ", " + resources + "}";
    }
}
