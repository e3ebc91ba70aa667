package dev.trellis.xds.snapshot;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import dev.trellis.xds.MeshMetadata;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.type.v3.HashPolicy;
import java.util.List;

/**
 * Builds listeners: an HTTP connection manager whose routes come over RDS, or a TCP proxy, for a
 * proxy; an {@code api_listener} for a proxyless gRPC client.
 */
public final class Listeners {
    public static final String HTTP_CONNECTION_MANAGER = "envoy.filters.network.http_connection_manager";
    public static final String TCP_PROXY = "envoy.filters.network.tcp_proxy";
    public static final String ROUTER = "envoy.filters.http.router";
    public static final String WEBSOCKET = "websocket";

    private Listeners() {}

    /**
     * An HTTP listener. The client's address is appended to {@code x-forwarded-for}
     * ({@code use_remote_address}) and WebSocket upgrades are allowed, as in Istio's sidecars.
     *
     * @param service the host the listener serves, kept in its metadata for telemetry
     * @param filters the HTTP filters before the router, in order
     */
    static Listener http(String name, String host, int port, TrafficDirection direction, String service, String routeConfig,
            List<HttpFilter> filters) {
        HttpConnectionManager hcm = connectionManager(name, routeConfig, filters).build();
        return listener(name, host, port, direction, service, Filter.newBuilder()
                .setName(HTTP_CONNECTION_MANAGER)
                .setTypedConfig(Any.pack(hcm))
                .build());
    }

    /** The connection manager of an HTTP listener, its routes named for RDS, {@code filters} then the router. */
    static HttpConnectionManager.Builder connectionManager(String statPrefix, String routeConfig, List<HttpFilter> filters) {
        return HttpConnectionManager.newBuilder()
                .setStatPrefix(statPrefix)
                .setCodecType(HttpConnectionManager.CodecType.AUTO)
                .setRds(rds(routeConfig))
                .addAllHttpFilters(filters)
                .addHttpFilters(router())
                .addUpgradeConfigs(HttpConnectionManager.UpgradeConfig.newBuilder().setUpgradeType(WEBSOCKET))
                .setUseRemoteAddress(BoolValue.of(true));
    }

    /**
     * The listener a proxyless gRPC client asks for by its target's authority: no socket, just an
     * {@code api_listener} whose connection manager names its routes for RDS over ADS and has
     * {@code filters} then the router as its terminal filter. Nothing else: gRPC rejects a connection
     * manager with {@code xff_num_trusted_hops} or an HTTP filter it does not know (unless marked
     * optional), and ignores stat prefixes, codecs and upgrades.
     *
     * @param filters HTTP filters gRPC's xDS client runs (the fault filter), in order
     */
    static Listener api(String name, String routeConfig, List<HttpFilter> filters) {
        HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
                .setRds(rds(routeConfig))
                .addAllHttpFilters(filters)
                .addHttpFilters(router())
                .build();
        return Listener.newBuilder()
                .setName(name)
                .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(hcm)))
                .build();
    }

    /** Routes named {@code routeConfig}, sent on the same ADS stream. */
    private static Rds rds(String routeConfig) {
        return Rds.newBuilder().setConfigSource(Protos.ads()).setRouteConfigName(routeConfig).build();
    }

    /** The terminal filter that routes each request; always the last one. */
    private static HttpFilter router() {
        return HttpFilter.newBuilder().setName(ROUTER).setTypedConfig(Any.pack(Router.getDefaultInstance())).build();
    }

    /**
     * An opaque TCP listener relaying to one cluster.
     *
     * @param hashSourceIp whether consistent hashing keys on the client's address
     */
    static Listener tcp(String name, String host, int port, TrafficDirection direction, String service, String cluster,
            boolean hashSourceIp) {
        TcpProxy.Builder tcp = TcpProxy.newBuilder().setStatPrefix(name).setCluster(cluster);
        if (hashSourceIp) {
            tcp.addHashPolicy(HashPolicy.newBuilder().setSourceIp(HashPolicy.SourceIp.getDefaultInstance()));
        }
        return listener(name, host, port, direction, service, Filter.newBuilder()
                .setName(TCP_PROXY)
                .setTypedConfig(Any.pack(tcp.build()))
                .build());
    }

    private static Listener listener(String name, String host, int port, TrafficDirection direction, String service, Filter filter) {
        return Listener.newBuilder()
                .setName(name)
                .setAddress(Protos.socket(host, port))
                .setTrafficDirection(direction)
                .setMetadata(MeshMetadata.of(MeshMetadata.SERVICE, service))
                .addFilterChains(FilterChain.newBuilder().addFilters(filter))
                .build();
    }
}
