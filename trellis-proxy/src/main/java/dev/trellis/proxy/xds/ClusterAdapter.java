package dev.trellis.proxy.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.trellis.proxy.balance.LbPolicy;
import dev.trellis.proxy.config.Cluster;
import dev.trellis.xds.MeshMetadata;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an Envoy cluster, and its endpoints, into a {@link Cluster.Spec}. Endpoints arrive over
 * EDS, or inline for STATIC and DNS clusters (whose host names are resolved at each connect).
 * Endpoints reported unhealthy, draining or timed out are left out of balancing, as Envoy does.
 */
final class ClusterAdapter {
    static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    private static final Set<String> CLUSTER = Set.of(
            "name", "type", "eds_cluster_config", "lb_policy", "load_assignment", "metadata", "typed_extension_protocol_options");
    private static final Set<String> EDS_CONFIG = Set.of("eds_config", "service_name");
    private static final Set<String> ASSIGNMENT = Set.of("cluster_name", "endpoints");
    private static final Set<String> LOCALITY = Set.of("locality", "lb_endpoints", "load_balancing_weight", "priority");
    private static final Set<String> LB_ENDPOINT = Set.of("endpoint", "metadata", "health_status", "load_balancing_weight");
    private static final Set<String> ENDPOINT = Set.of("address", "hostname");
    private static final Set<String> ADDRESS = Set.of("socket_address");
    private static final Set<String> SOCKET_ADDRESS = Set.of("address", "port_value");
    private static final Set<String> HTTP_OPTIONS = Set.of("explicit_http_config");
    private static final Set<HealthStatus> LEFT_OUT = Set.of(HealthStatus.UNHEALTHY, HealthStatus.DRAINING, HealthStatus.TIMEOUT);

    private ClusterAdapter() {}

    /**
     * The spec of {@code cluster}, or null after recording why it cannot be run.
     *
     * @param endpoints the EDS resources by name
     */
    static Cluster.Spec spec(io.envoyproxy.envoy.config.cluster.v3.Cluster cluster,
            Map<String, ClusterLoadAssignment> endpoints, Refusals refusals) {
        String where = "Cluster " + cluster.getName();
        int before = refusals.count();
        refusals.onlyFields(cluster, where, CLUSTER);
        LbPolicy policy = switch (cluster.getLbPolicy()) {
            case ROUND_ROBIN -> LbPolicy.ROUND_ROBIN;
            case LEAST_REQUEST -> LbPolicy.LEAST_REQUEST;
            case RANDOM -> LbPolicy.RANDOM;
            case RING_HASH -> LbPolicy.RING_HASH;
            default -> {
                refusals.add(Refusals.at(where, "lb_policy"), cluster.getLbPolicy()
                        + " (expected: ROUND_ROBIN, LEAST_REQUEST, RANDOM or RING_HASH)");
                yield null;
            }
        };
        boolean http2 = http2(cluster, where, refusals);
        ClusterLoadAssignment assignment = switch (cluster.getType()) {
            case EDS -> {
                io.envoyproxy.envoy.config.cluster.v3.Cluster.EdsClusterConfig eds = cluster.getEdsClusterConfig();
                refusals.onlyFields(eds, Refusals.at(where, "eds_cluster_config"), EDS_CONFIG);
                ads(eds.getEdsConfig(), Refusals.at(where, "eds_cluster_config.eds_config"), refusals);
                String name = eds.getServiceName().isEmpty() ? cluster.getName() : eds.getServiceName();
                ClusterLoadAssignment found = endpoints.get(name);
                if (found == null) {
                    refusals.add(where, "its endpoints (ClusterLoadAssignment " + name + ") have not arrived");
                }
                yield found;
            }
            case STATIC, STRICT_DNS, LOGICAL_DNS -> cluster.getLoadAssignment();
            default -> {
                refusals.add(Refusals.at(where, "type"), cluster.getType() + " (expected: EDS, STATIC, STRICT_DNS or LOGICAL_DNS)");
                yield null;
            }
        };
        List<Cluster.EndpointSpec> members = assignment == null ? List.of() : members(assignment, where, refusals);
        if (refusals.count() > before) {
            return null;
        }
        String service = MeshMetadata.string(cluster.getMetadata(), MeshMetadata.SERVICE).orElse("unknown");
        return new Cluster.Spec(cluster.getName(), service, http2, members, policy);
    }

    /** Whether the cluster speaks HTTP/2 to its endpoints; only that choice of the upstream HTTP options is honoured. */
    private static boolean http2(io.envoyproxy.envoy.config.cluster.v3.Cluster cluster, String where, Refusals refusals) {
        boolean http2 = false;
        for (Map.Entry<String, Any> entry : cluster.getTypedExtensionProtocolOptionsMap().entrySet()) {
            String at = Refusals.at(where, "typed_extension_protocol_options[" + entry.getKey() + "]");
            if (!entry.getKey().equals(HTTP_PROTOCOL_OPTIONS) || !entry.getValue().is(HttpProtocolOptions.class)) {
                refusals.add(at, "not supported by Trellis (expected: " + HTTP_PROTOCOL_OPTIONS + " only)");
                continue;
            }
            try {
                HttpProtocolOptions options = entry.getValue().unpack(HttpProtocolOptions.class);
                refusals.onlyFields(options, at, HTTP_OPTIONS);
                HttpProtocolOptions.ExplicitHttpConfig explicit = options.getExplicitHttpConfig();
                if (explicit.hasHttp2ProtocolOptions()) {
                    refusals.onlyFields(explicit.getHttp2ProtocolOptions(), at + ".explicit_http_config.http2_protocol_options", Set.of());
                    http2 = true;
                } else if (explicit.hasHttpProtocolOptions()) {
                    refusals.onlyFields(explicit.getHttpProtocolOptions(), at + ".explicit_http_config.http_protocol_options", Set.of());
                } else if (options.hasExplicitHttpConfig()) {
                    refusals.add(at + ".explicit_http_config", "not supported by Trellis (expected: http_protocol_options or http2_protocol_options)");
                }
            } catch (InvalidProtocolBufferException e) {
                refusals.add(at, "cannot be read: " + e.getMessage());
            }
        }
        return http2;
    }

    private static List<Cluster.EndpointSpec> members(ClusterLoadAssignment assignment, String where, Refusals refusals) {
        String at = Refusals.at(where, "endpoints");
        refusals.onlyFields(assignment, at, ASSIGNMENT);
        List<Cluster.EndpointSpec> members = new ArrayList<>();
        for (int i = 0; i < assignment.getEndpointsCount(); i++) {
            LocalityLbEndpoints locality = assignment.getEndpoints(i);
            String localityWhere = at + ".endpoints[" + i + "]";
            refusals.onlyFields(locality, localityWhere, LOCALITY);
            if (locality.getPriority() != 0) {
                refusals.add(localityWhere + ".priority", locality.getPriority() + " (expected: 0; Trellis has no priority levels yet)");
            }
            for (int j = 0; j < locality.getLbEndpointsCount(); j++) {
                LbEndpoint endpoint = locality.getLbEndpoints(j);
                String endpointWhere = localityWhere + ".lb_endpoints[" + j + "]";
                refusals.onlyFields(endpoint, endpointWhere, LB_ENDPOINT);
                if (endpoint.hasLoadBalancingWeight() && endpoint.getLoadBalancingWeight().getValue() != 1) {
                    refusals.add(endpointWhere + ".load_balancing_weight", endpoint.getLoadBalancingWeight().getValue()
                            + " (expected: 1; Trellis does not weight endpoints yet)");
                }
                if (endpoint.getHealthStatus() == HealthStatus.DEGRADED) {
                    refusals.add(endpointWhere + ".health_status", "DEGRADED (expected: HEALTHY, UNKNOWN, UNHEALTHY, DRAINING or TIMEOUT)");
                }
                refusals.onlyFields(endpoint.getEndpoint(), endpointWhere + ".endpoint", ENDPOINT);
                Address address = endpoint.getEndpoint().getAddress();
                refusals.onlyFields(address, endpointWhere + ".endpoint.address", ADDRESS);
                SocketAddress socket = address.getSocketAddress();
                refusals.onlyFields(socket, endpointWhere + ".endpoint.address.socket_address", SOCKET_ADDRESS);
                if (socket.getAddress().isEmpty() || socket.getPortValue() == 0) {
                    refusals.add(endpointWhere + ".endpoint.address.socket_address", "\"" + socket.getAddress() + ":"
                            + socket.getPortValue() + "\" (expected: an address and a port)");
                } else if (!LEFT_OUT.contains(endpoint.getHealthStatus())) {
                    members.add(new Cluster.EndpointSpec(socket.getAddress(), socket.getPortValue(),
                            MeshMetadata.labels(endpoint.getMetadata())));
                }
            }
        }
        return members;
    }

    /** Only the aggregated stream is a source Trellis subscribes to. */
    static void ads(ConfigSource source, String where, Refusals refusals) {
        if (!source.hasAds()) {
            refusals.add(where, source.getConfigSourceSpecifierCase() + " (expected: ads)");
        }
        refusals.onlyFields(source, where, Set.of("ads", "resource_api_version"));
    }
}
