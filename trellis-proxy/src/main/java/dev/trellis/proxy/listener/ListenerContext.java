package dev.trellis.proxy.listener;

import dev.trellis.proxy.config.Cluster;
import dev.trellis.proxy.config.ListenerConfig;
import dev.trellis.proxy.http.filter.FilterChain;
import dev.trellis.proxy.upstream.UpstreamPools;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * What the connections of one listener share: its current config, swapped whole on reload (a
 * request reads it once, when it starts), the upstream pools, and whether the proxy is draining.
 */
public final class ListenerContext {
    private volatile Current current;
    private final UpstreamPools pools;
    private final BooleanSupplier draining;
    private final Function<String, Cluster> clusters;

    /** A config and the filter chain built from it, swapped together. */
    public record Current(ListenerConfig config, FilterChain filters) {}

    /** @param clusters the proxy's running clusters by name, for the mirrors routes name */
    public ListenerContext(ListenerConfig config, UpstreamPools pools, BooleanSupplier draining, Function<String, Cluster> clusters) {
        this.current = new Current(config, FilterChain.of(config));
        this.pools = pools;
        this.draining = draining;
        this.clusters = clusters;
    }

    public ListenerConfig config() {
        return current.config();
    }

    /** The config and filters a request starting now uses, read once. */
    public Current current() {
        return current;
    }

    public void update(ListenerConfig next) {
        this.current = new Current(next, FilterChain.of(next));
    }

    /** The running cluster named {@code name}, or null. */
    public Cluster cluster(String name) {
        return clusters.apply(name);
    }

    public UpstreamPools pools() {
        return pools;
    }

    public boolean draining() {
        return draining.getAsBoolean();
    }
}
