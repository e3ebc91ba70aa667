package dev.trellis.proxy.config;

import dev.trellis.proxy.route.RouteTable;
import dev.trellis.proxy.telemetry.RequestStats;
import java.util.Objects;

/**
 * What one listening socket does with its connections.
 *
 * @param name stable identity across updates: a listener keeps its socket while its name and address
 *     stay; a new name on the address of a listener that goes away takes over that socket
 * @param host the address it binds
 * @param port the port it binds; 0 picks a free one
 * @param kind HTTP listeners route requests by {@code routes}; TCP ones relay to {@code tcpCluster}
 * @param webSocket whether HTTP/1.1 requests may upgrade to WebSocket
 * @param tcpCluster the cluster a TCP listener relays to, or null for HTTP listeners
 * @param tcpHashSourceIp whether a TCP listener hashes on the client's address for consistent hashing
 * @param unrouted stats of requests that matched no route
 * @param http an HTTP listener's timeouts and filters; {@link HttpOptions#DEFAULT} for TCP ones
 */
public record ListenerConfig(
        String name,
        Direction direction,
        String host,
        int port,
        Kind kind,
        RouteTable routes,
        boolean webSocket,
        Cluster tcpCluster,
        boolean tcpHashSourceIp,
        RequestStats unrouted,
        HttpOptions http) {
    public enum Direction {
        /** Traffic from the local workload to other services. */
        OUTBOUND,
        /** Traffic from other services to the local workload. */
        INBOUND
    }

    /** What a listener speaks. */
    public enum Kind {
        /** HTTP/1.1, h2c by prior knowledge or by upgrade, gRPC, WebSocket upgrades. */
        HTTP,
        /** Opaque bytes. */
        TCP
    }

    public ListenerConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(routes, "routes");
        Objects.requireNonNull(http, "http");
        if (kind == Kind.TCP) {
            Objects.requireNonNull(tcpCluster, "tcpCluster");
        }
    }
}
