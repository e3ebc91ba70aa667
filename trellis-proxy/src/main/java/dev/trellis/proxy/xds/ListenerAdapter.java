package dev.trellis.proxy.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.trellis.proxy.config.Cluster;
import dev.trellis.proxy.config.HttpOptions;
import dev.trellis.proxy.config.ListenerConfig;
import dev.trellis.proxy.route.RouteTable;
import dev.trellis.proxy.telemetry.RequestStats;
import dev.trellis.xds.MeshMetadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.type.v3.HashPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an Envoy listener into a {@link ListenerConfig}: one filter chain holding either an HTTP
 * connection manager (routes by RDS or inline; the fault and local rate limit filters, then the
 * router; a stream idle timeout) or a TCP proxy.
 */
final class ListenerAdapter {
    private static final Set<String> LISTENER = Set.of("name", "address", "traffic_direction", "metadata", "filter_chains");
    private static final Set<String> CHAIN = Set.of("filters");
    private static final Set<String> FILTER = Set.of("name", "typed_config");
    private static final Set<String> HCM = Set.of("stat_prefix", "codec_type", "rds", "route_config", "http_filters",
            "upgrade_configs", "use_remote_address", "stream_idle_timeout");
    private static final Set<String> TCP = Set.of("stat_prefix", "cluster", "hash_policy");

    /** Stats for a listener's requests by the listener's service, route and cluster names. */
    interface Labels {
        RequestStats stats(ListenerConfig.Direction direction, String service, String route, String cluster);
    }

    private final Map<String, Cluster> clusters;
    private final Map<String, RouteConfiguration> routes;
    private final Labels labels;
    private final Refusals refusals;

    ListenerAdapter(Map<String, Cluster> clusters, Map<String, RouteConfiguration> routes, Labels labels, Refusals refusals) {
        this.clusters = clusters;
        this.routes = routes;
        this.labels = labels;
        this.refusals = refusals;
    }

    /** The listener's config, or null after recording why it cannot be run. */
    ListenerConfig listener(Listener listener) {
        String where = "Listener " + listener.getName();
        int before = refusals.count();
        refusals.onlyFields(listener, where, LISTENER);
        ListenerConfig.Direction direction = switch (listener.getTrafficDirection()) {
            case INBOUND -> ListenerConfig.Direction.INBOUND;
            default -> ListenerConfig.Direction.OUTBOUND;
        };
        SocketAddress address = listener.getAddress().getSocketAddress();
        refusals.onlyFields(listener.getAddress(), Refusals.at(where, "address"), Set.of("socket_address"));
        refusals.onlyFields(address, Refusals.at(where, "address.socket_address"), Set.of("address", "port_value"));
        if (address.getAddress().isEmpty()) {
            refusals.add(Refusals.at(where, "address.socket_address.address"), "missing (expected: an IP address to bind)");
        }
        if (listener.getFilterChainsCount() != 1 || listener.getFilterChains(0).getFiltersCount() != 1) {
            refusals.add(Refusals.at(where, "filter_chains"), "expected: one filter chain holding one filter "
                    + "(an HTTP connection manager or a TCP proxy)");
            return null;
        }
        FilterChain chain = listener.getFilterChains(0);
        refusals.onlyFields(chain, Refusals.at(where, "filter_chains[0]"), CHAIN);
        Filter filter = chain.getFilters(0);
        String filterWhere = Refusals.at(where, "filter_chains[0].filters[0]");
        refusals.onlyFields(filter, filterWhere, FILTER);
        String service = MeshMetadata.string(listener.getMetadata(), MeshMetadata.SERVICE).orElse("unknown");
        RequestStats unrouted = labels.stats(direction, service, "", "");
        Any config = filter.getTypedConfig();
        ListenerConfig result = null;
        try {
            if (config.is(HttpConnectionManager.class)) {
                HttpConnectionManager hcm = config.unpack(HttpConnectionManager.class);
                String at = filterWhere + ".typed_config";
                HttpFiltersAdapter.Chain filters = new HttpFiltersAdapter(refusals).chain(hcm.getHttpFiltersList(), at + ".http_filters");
                RouteTable table = routeTable(hcm, direction, service, filters, at);
                boolean webSocket = webSocket(hcm, at);
                Duration idle = hcm.hasStreamIdleTimeout()
                        ? Values.duration(hcm.getStreamIdleTimeout(), at + ".stream_idle_timeout", refusals)
                        : HttpOptions.DEFAULT_STREAM_IDLE_TIMEOUT;
                result = new ListenerConfig(listener.getName(), direction, address.getAddress(), address.getPortValue(),
                        ListenerConfig.Kind.HTTP, table, webSocket, null, false, unrouted,
                        new HttpOptions(idle == null ? Duration.ZERO : idle, filters.filters()));
            } else if (config.is(TcpProxy.class)) {
                TcpProxy tcp = config.unpack(TcpProxy.class);
                String at = filterWhere + ".typed_config";
                refusals.onlyFields(tcp, at, TCP);
                boolean hashSourceIp = false;
                for (HashPolicy policy : tcp.getHashPolicyList()) {
                    refusals.onlyFields(policy, at + ".hash_policy", Set.of("source_ip"));
                    hashSourceIp |= policy.hasSourceIp();
                }
                Cluster cluster = clusters.get(tcp.getCluster());
                if (cluster == null) {
                    refusals.add(at + ".cluster", tcp.getCluster() + " is not a cluster the proxy has");
                } else {
                    result = new ListenerConfig(listener.getName(), direction, address.getAddress(), address.getPortValue(),
                            ListenerConfig.Kind.TCP, new RouteTable(List.of()), false, cluster, hashSourceIp, unrouted,
                            HttpOptions.DEFAULT);
                }
            } else {
                refusals.add(filterWhere + ".typed_config", config.getTypeUrl()
                        + " (expected: an HttpConnectionManager or a TcpProxy)");
            }
        } catch (InvalidProtocolBufferException e) {
            refusals.add(filterWhere + ".typed_config", "cannot be read: " + e.getMessage());
        }
        return refusals.count() > before ? null : result;
    }

    private RouteTable routeTable(HttpConnectionManager hcm, ListenerConfig.Direction direction, String service,
            HttpFiltersAdapter.Chain filters, String where) {
        refusals.onlyFields(hcm, where, HCM);
        if (hcm.getCodecType() != HttpConnectionManager.CodecType.AUTO) {
            refusals.add(where + ".codec_type", hcm.getCodecType() + " (expected: AUTO; every HTTP listener serves HTTP/1.1 and h2c)");
        }
        if (!hcm.hasUseRemoteAddress() || !hcm.getUseRemoteAddress().getValue()) {
            refusals.add(where + ".use_remote_address", "false (expected: true; Trellis appends the client's address to x-forwarded-for)");
        }
        RouteConfiguration config;
        if (hcm.hasRds()) {
            refusals.onlyFields(hcm.getRds(), where + ".rds", Set.of("config_source", "route_config_name"));
            ClusterAdapter.ads(hcm.getRds().getConfigSource(), where + ".rds.config_source", refusals);
            config = routes.get(hcm.getRds().getRouteConfigName());
            if (config == null) {
                refusals.add(where + ".rds.route_config_name", hcm.getRds().getRouteConfigName() + " has not arrived");
                return new RouteTable(List.of());
            }
        } else if (hcm.hasRouteConfig()) {
            config = hcm.getRouteConfig();
        } else {
            refusals.add(where, "neither rds nor route_config (expected: one)");
            return new RouteTable(List.of());
        }
        RouteAdapter adapter = new RouteAdapter(clusters, (route, cluster) -> labels.stats(direction,
                clusters.containsKey(cluster) ? clusters.get(cluster).service() : service, route, cluster), filters.byName(), refusals);
        return new RouteTable(adapter.routes(config));
    }

    private boolean webSocket(HttpConnectionManager hcm, String where) {
        boolean webSocket = false;
        for (int i = 0; i < hcm.getUpgradeConfigsCount(); i++) {
            HttpConnectionManager.UpgradeConfig upgrade = hcm.getUpgradeConfigs(i);
            String at = where + ".upgrade_configs[" + i + "]";
            refusals.onlyFields(upgrade, at, Set.of("upgrade_type", "enabled"));
            if (!upgrade.getUpgradeType().equalsIgnoreCase("websocket")) {
                refusals.add(at + ".upgrade_type", upgrade.getUpgradeType() + " (expected: websocket)");
            }
            webSocket |= !upgrade.hasEnabled() || upgrade.getEnabled().getValue();
        }
        return webSocket;
    }
}
