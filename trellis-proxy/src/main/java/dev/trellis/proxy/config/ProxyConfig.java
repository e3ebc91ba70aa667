package dev.trellis.proxy.config;

import dev.trellis.model.MeshConfig;
import dev.trellis.model.ProxyBootstrap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything one running proxy needs, compiled from the mesh model and ready for the request
 * path: listeners with their route tables, and the clusters the routes point at. Immutable; a
 * reload compiles a whole new one and swaps it in.
 *
 * @param mesh the model it was compiled from, for the config dump
 */
public record ProxyConfig(
        ProxyBootstrap bootstrap, List<ListenerConfig> listeners, Map<String, Cluster> clusters, MeshConfig mesh) {
    public ProxyConfig {
        listeners = List.copyOf(listeners);
        clusters = Map.copyOf(clusters);
    }

    public Optional<ListenerConfig> listener(String name) {
        return listeners.stream().filter(l -> l.name().equals(name)).findFirst();
    }
}
