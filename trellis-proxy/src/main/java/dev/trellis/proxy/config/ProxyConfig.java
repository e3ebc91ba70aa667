package dev.trellis.proxy.config;

import dev.trellis.model.ProxyBootstrap;
import dev.trellis.xds.XdsResources;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Everything one running proxy needs, ready for the request path: listeners with their route
 * tables, and the clusters the routes point at. Immutable; an update builds a whole new one
 * and swaps it in.
 *
 * @param resources the xDS resources it was built from, for the config dump
 */
public record ProxyConfig(
        ProxyBootstrap bootstrap, List<ListenerConfig> listeners, Map<String, Cluster> clusters, XdsResources resources) {
    public ProxyConfig {
        listeners = List.copyOf(listeners);
        clusters = Collections.unmodifiableSortedMap(new TreeMap<>(clusters));
    }

    public Optional<ListenerConfig> listener(String name) {
        return listeners.stream().filter(l -> l.name().equals(name)).findFirst();
    }
}
