package dev.trellis.proxy.config;

import dev.trellis.model.Protocol;
import dev.trellis.proxy.route.RouteTable;
import dev.trellis.proxy.telemetry.RequestStats;
import java.util.Objects;

/**
 * What one listening socket does with its connections, compiled from the mesh model.
 *
 * @param name stable identity across reloads: a listener keeps its socket while its name stays
 * @param host the address it binds
 * @param port the port it binds; 0 picks a free one
 * @param protocol HTTP protocols route requests by {@code routes}; TCP relays to {@code tcpCluster}
 * @param tcpCluster the cluster a TCP listener relays to, or null for HTTP listeners
 * @param unrouted stats of requests that matched no route
 */
public record ListenerConfig(
        String name,
        Direction direction,
        String host,
        int port,
        Protocol protocol,
        RouteTable routes,
        Cluster tcpCluster,
        RequestStats unrouted) {
    public enum Direction {
        /** Traffic from the local workload to other services. */
        OUTBOUND,
        /** Traffic from other services to the local workload. */
        INBOUND
    }

    public ListenerConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(routes, "routes");
        if (protocol == Protocol.TCP) {
            Objects.requireNonNull(tcpCluster, "tcpCluster");
        }
    }
}
