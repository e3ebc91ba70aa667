package dev.trellis.proxy.listener;

import dev.trellis.proxy.config.ListenerConfig;
import dev.trellis.proxy.upstream.UpstreamPools;
import java.util.function.BooleanSupplier;

/**
 * What the connections of one listener share: its current config, swapped whole on reload (a
 * request reads it once, when it starts), the upstream pools, and whether the proxy is draining.
 */
public final class ListenerContext {
    private volatile ListenerConfig config;
    private final UpstreamPools pools;
    private final BooleanSupplier draining;

    public ListenerContext(ListenerConfig config, UpstreamPools pools, BooleanSupplier draining) {
        this.config = config;
        this.pools = pools;
        this.draining = draining;
    }

    public ListenerConfig config() {
        return config;
    }

    public void update(ListenerConfig next) {
        this.config = next;
    }

    public UpstreamPools pools() {
        return pools;
    }

    public boolean draining() {
        return draining.getAsBoolean();
    }
}
