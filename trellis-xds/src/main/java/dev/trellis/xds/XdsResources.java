package dev.trellis.xds;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * One proxy's whole configuration as xDS resources, each type keyed by resource name. Immutable.
 * Each type's version is a hash of its content, so equal resources always carry equal versions,
 * whichever process built them and however often it restarted.
 */
public final class XdsResources {
    public static final XdsResources EMPTY = new XdsResources(Map.of(), Map.of(), Map.of(), Map.of());

    private final SortedMap<String, Cluster> clusters;
    private final SortedMap<String, ClusterLoadAssignment> endpoints;
    private final SortedMap<String, Listener> listeners;
    private final SortedMap<String, RouteConfiguration> routes;
    private final Map<XdsType, String> versions = new EnumMap<>(XdsType.class);

    public XdsResources(
            Map<String, Cluster> clusters,
            Map<String, ClusterLoadAssignment> endpoints,
            Map<String, Listener> listeners,
            Map<String, RouteConfiguration> routes) {
        this.clusters = sorted(clusters);
        this.endpoints = sorted(endpoints);
        this.listeners = sorted(listeners);
        this.routes = sorted(routes);
    }

    /** Resources from lists, each keyed by its own name. */
    public static XdsResources of(
            Collection<Cluster> clusters,
            Collection<ClusterLoadAssignment> endpoints,
            Collection<Listener> listeners,
            Collection<RouteConfiguration> routes) {
        return new XdsResources(
                byName(clusters, Cluster::getName),
                byName(endpoints, ClusterLoadAssignment::getClusterName),
                byName(listeners, Listener::getName),
                byName(routes, RouteConfiguration::getName));
    }

    public SortedMap<String, Cluster> clusters() {
        return clusters;
    }

    public SortedMap<String, ClusterLoadAssignment> endpoints() {
        return endpoints;
    }

    public SortedMap<String, Listener> listeners() {
        return listeners;
    }

    public SortedMap<String, RouteConfiguration> routes() {
        return routes;
    }

    /** The resources of one type, by name. */
    public SortedMap<String, ? extends Message> of(XdsType type) {
        return switch (type) {
            case CLUSTER -> clusters;
            case ENDPOINT -> endpoints;
            case LISTENER -> listeners;
            case ROUTE -> routes;
        };
    }

    /** These resources with those of {@code type} replaced by {@code replacement}. */
    @SuppressWarnings("unchecked")
    public XdsResources with(XdsType type, Map<String, ? extends Message> replacement) {
        return new XdsResources(
                type == XdsType.CLUSTER ? (Map<String, Cluster>) replacement : clusters,
                type == XdsType.ENDPOINT ? (Map<String, ClusterLoadAssignment>) replacement : endpoints,
                type == XdsType.LISTENER ? (Map<String, Listener>) replacement : listeners,
                type == XdsType.ROUTE ? (Map<String, RouteConfiguration>) replacement : routes);
    }

    /** A hash of the resources of {@code type}: names and deterministic encodings, in name order. */
    public synchronized String version(XdsType type) {
        return versions.computeIfAbsent(type, t -> hash(of(t)));
    }

    private static String hash(SortedMap<String, ? extends Message> resources) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (Map.Entry<String, ? extends Message> entry : resources.entrySet()) {
                bytes.reset();
                CodedOutputStream out = CodedOutputStream.newInstance(bytes);
                out.useDeterministicSerialization(); // map fields (Struct, metadata) in key order
                entry.getValue().writeTo(out);
                out.flush();
                digest.update(entry.getKey().getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
                digest.update(bytes.toByteArray());
            }
            return HexFormat.of().formatHex(digest.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> SortedMap<String, T> sorted(Map<String, T> map) {
        return Collections.unmodifiableSortedMap(new TreeMap<>(map));
    }

    private static <T> Map<String, T> byName(Collection<T> resources, Function<T, String> name) {
        Map<String, T> map = new TreeMap<>();
        for (T resource : resources) {
            if (map.put(name.apply(resource), resource) != null) {
                throw new IllegalArgumentException("two resources named " + name.apply(resource));
            }
        }
        return map;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof XdsResources other
                && clusters.equals(other.clusters)
                && endpoints.equals(other.endpoints)
                && listeners.equals(other.listeners)
                && routes.equals(other.routes);
    }

    @Override
    public int hashCode() {
        return listeners.hashCode() * 31 + clusters.hashCode();
    }

    @Override
    public String toString() {
        return "XdsResources{listeners=" + listeners.keySet() + ", routes=" + routes.keySet() + ", clusters="
                + clusters.keySet() + ", endpoints=" + endpoints.keySet() + "}";
    }
}
