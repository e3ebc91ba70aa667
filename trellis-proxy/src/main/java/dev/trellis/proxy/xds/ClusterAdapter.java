package dev.trellis.proxy.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.trellis.proxy.balance.LbSettings;
import dev.trellis.proxy.config.Cluster;
import dev.trellis.proxy.config.UpstreamPolicy;
import dev.trellis.xds.MeshMetadata;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * Reads an Envoy cluster, and its endpoints, into a {@link Cluster.Spec}: its endpoints with their
 * localities and priorities ({@link EndpointsAdapter}), its balancing ({@link BalancingAdapter}),
 * its limits, retry budget, outlier detection and connection settings ({@link UpstreamAdapter}),
 * and its upstream HTTP options. Endpoints arrive over EDS, or inline for STATIC and DNS clusters
 * (whose host names are resolved at each connect).
 */
final class ClusterAdapter {
    static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
    /** Envoy's idle timeout of upstream HTTP connections when a cluster states none. */
    static final Duration ENVOY_DEFAULT_IDLE_TIMEOUT = Duration.ofHours(1);

    private static final Set<String> CLUSTER = Set.of(
            "name", "type", "eds_cluster_config", "lb_policy", "load_assignment", "metadata", "typed_extension_protocol_options",
            "connect_timeout", "circuit_breakers", "outlier_detection", "common_lb_config", "round_robin_lb_config",
            "least_request_lb_config", "load_balancing_policy", "upstream_connection_options");
    private static final Set<String> EDS_CONFIG = Set.of("eds_config", "service_name");
    private static final Set<String> HTTP_OPTIONS = Set.of("explicit_http_config", "common_http_protocol_options");
    private static final Set<String> COMMON_HTTP_OPTIONS = Set.of("idle_timeout", "max_requests_per_connection");

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
        BalancingAdapter.Balancing balancing = BalancingAdapter.read(cluster, where, refusals);
        UpstreamAdapter.HttpOptions http = http(cluster, where, refusals);
        int minHealthPercent = balancing == null ? 0 : (int) balancing.settings().panicThresholdPercent();
        UpstreamPolicy upstream = UpstreamAdapter.policy(cluster, http, minHealthPercent, where, refusals);
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
        boolean weighted = balancing != null && balancing.localityWeighted();
        EndpointsAdapter.Endpoints members = assignment == null
                ? null
                : EndpointsAdapter.read(assignment, weighted, where, refusals);
        if (refusals.count() > before) {
            return null;
        }
        String service = MeshMetadata.string(cluster.getMetadata(), MeshMetadata.SERVICE).orElse("unknown");
        LbSettings settings = balancing.settings().withOverprovisioningFactor(members.overprovisioningFactor());
        return new Cluster.Spec(cluster.getName(), service, http.http2(), members.members(), balancing.policy(), settings, upstream);
    }

    /**
     * The upstream HTTP options Trellis honours: HTTP/2 or HTTP/1.1, and of the options common to
     * both, the idle timeout (Envoy's 1 h when unset, none when 0) and the requests per connection.
     */
    private static UpstreamAdapter.HttpOptions http(io.envoyproxy.envoy.config.cluster.v3.Cluster cluster, String where, Refusals refusals) {
        boolean http2 = false;
        Duration idle = ENVOY_DEFAULT_IDLE_TIMEOUT;
        long perConnection = 0;
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
                io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions common = options.getCommonHttpProtocolOptions();
                refusals.onlyFields(common, at + ".common_http_protocol_options", COMMON_HTTP_OPTIONS);
                if (common.hasIdleTimeout()) {
                    idle = ProtoDurations.of(common.getIdleTimeout());
                    if (idle.isNegative()) {
                        refusals.add(at + ".common_http_protocol_options.idle_timeout", idle + " (expected: 0 for none, or more)");
                        idle = Duration.ZERO;
                    }
                }
                if (common.hasMaxRequestsPerConnection()) {
                    perConnection = Integer.toUnsignedLong(common.getMaxRequestsPerConnection().getValue());
                }
            } catch (InvalidProtocolBufferException e) {
                refusals.add(at, "cannot be read: " + e.getMessage());
            }
        }
        return new UpstreamAdapter.HttpOptions(http2, idle, perConnection);
    }

    /** Only the aggregated stream is a source Trellis subscribes to. */
    static void ads(ConfigSource source, String where, Refusals refusals) {
        if (!source.hasAds()) {
            refusals.add(where, source.getConfigSourceSpecifierCase() + " (expected: ads)");
        }
        refusals.onlyFields(source, where, Set.of("ads", "resource_api_version"));
    }
}
