package dev.trellis.controlplane.xds;

import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The ADS endpoint (state of the world, aggregated, v3) served by java-control-plane's discovery
 * server over gRPC. Keepalives find clients that vanished without closing their connection, so
 * their streams end and their registrations lapse.
 */
final class XdsServer implements AutoCloseable {
    static final Duration KEEPALIVE = Duration.ofSeconds(10);
    static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(5);

    private final Server server;

    private XdsServer(Server server) {
        this.server = server;
    }

    /** @throws IllegalStateException naming the address when it cannot be bound */
    static XdsServer start(String host, int port, NackHoldingCache cache, ProxyConnections connections) {
        V3DiscoveryServer discovery = new V3DiscoveryServer(List.of(cache, connections), cache);
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
                .addService(ServerInterceptors.intercept(discovery.getAggregatedDiscoveryServiceImpl(), new PeerAddress()))
                .keepAliveTime(KEEPALIVE.toSeconds(), TimeUnit.SECONDS)
                .keepAliveTimeout(KEEPALIVE_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                .permitKeepAliveTime(5, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true)
                .build();
        try {
            server.start();
        } catch (IOException e) {
            throw new IllegalStateException("xDS: cannot bind " + host + ":" + port + ": " + e.getMessage(), e);
        }
        return new XdsServer(server);
    }

    int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
