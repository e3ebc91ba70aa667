package dev.trellis.xds.snapshot;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import dev.trellis.model.LoadBalancer;
import dev.trellis.model.Protocol;
import dev.trellis.xds.MeshMetadata;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.List;
import java.util.Map;

/**
 * Builds one Envoy cluster and its endpoints. Endpoints that are IP addresses travel over EDS;
 * host names make a {@code STRICT_DNS} cluster that carries them inline, as Istio does for
 * ServiceEntries resolved by DNS; the local app behind an inbound listener is a {@code STATIC} one.
 */
final class Clusters {
    /** The key Envoy reads upstream HTTP options under. */
    static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    /** One endpoint to put in a cluster. */
    record Member(String address, int port, Map<String, String> labels) {}

    /** A cluster, and its endpoints when they travel apart (EDS). */
    record Built(Cluster cluster, ClusterLoadAssignment endpoints) {}

    private Clusters() {}

    /** A service's cluster: EDS when every endpoint is an IP address, else STRICT_DNS. */
    static Built service(String name, String host, Protocol protocol, List<Member> members, LoadBalancer policy) {
        Cluster.Builder cluster = base(name, host, protocol, policy);
        ClusterLoadAssignment assignment = assignment(name, members);
        if (members.stream().allMatch(m -> isIpLiteral(m.address()))) {
            cluster.setType(Cluster.DiscoveryType.EDS).setEdsClusterConfig(edsOverAds());
            return new Built(cluster.build(), assignment);
        }
        cluster.setType(Cluster.DiscoveryType.STRICT_DNS).setLoadAssignment(assignment);
        return new Built(cluster.build(), null);
    }

    /** The local app, whose address never changes while the proxy runs. */
    static Cluster local(String name, String host, Protocol protocol, Member app) {
        return base(name, host, protocol, new LoadBalancer.Simple(LoadBalancer.Simple.Algorithm.ROUND_ROBIN))
                .setType(Cluster.DiscoveryType.STATIC)
                .setLoadAssignment(assignment(name, List.of(app)))
                .build();
    }

    private static Cluster.Builder base(String name, String host, Protocol protocol, LoadBalancer policy) {
        Cluster.Builder cluster = Cluster.newBuilder()
                .setName(name)
                .setLbPolicy(lbPolicy(policy))
                .setMetadata(MeshMetadata.of(MeshMetadata.SERVICE, host));
        if (protocol.requiresHttp2()) {
            HttpProtocolOptions http2 = HttpProtocolOptions.newBuilder()
                    .setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                            .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
                    .build();
            cluster.putTypedExtensionProtocolOptions(HTTP_PROTOCOL_OPTIONS, Any.pack(http2));
        }
        return cluster;
    }

    /** The endpoints, in one locality of weight 1 (gRPC's xDS client skips a locality without weight). */
    static ClusterLoadAssignment assignment(String name, List<Member> members) {
        ClusterLoadAssignment.Builder assignment = ClusterLoadAssignment.newBuilder().setClusterName(name);
        if (!members.isEmpty()) {
            LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder().setLoadBalancingWeight(UInt32Value.of(1));
            for (Member member : members) {
                LbEndpoint.Builder endpoint = LbEndpoint.newBuilder()
                        .setEndpoint(Endpoint.newBuilder().setAddress(Protos.socket(member.address(), member.port())));
                if (!member.labels().isEmpty()) {
                    endpoint.setMetadata(MeshMetadata.labels(member.labels()));
                }
                locality.addLbEndpoints(endpoint);
            }
            assignment.addEndpoints(locality);
        }
        return assignment.build();
    }

    /** Endpoints sent apart, as a ClusterLoadAssignment named like the cluster, on the same ADS stream. */
    static Cluster.EdsClusterConfig edsOverAds() {
        return Cluster.EdsClusterConfig.newBuilder().setEdsConfig(Protos.ads()).build();
    }

    /** Envoy's balancer for the model's; a consistent hash is a ring whose key the route names. */
    static Cluster.LbPolicy lbPolicy(LoadBalancer policy) {
        return switch (policy) {
            case LoadBalancer.Simple s -> switch (s.algorithm()) {
                case ROUND_ROBIN -> Cluster.LbPolicy.ROUND_ROBIN;
                case LEAST_REQUEST -> Cluster.LbPolicy.LEAST_REQUEST;
                case RANDOM -> Cluster.LbPolicy.RANDOM;
            };
            case LoadBalancer.ConsistentHash ignored -> Cluster.LbPolicy.RING_HASH; // the key travels in the route's hash_policy
        };
    }

    /** An IPv4 or IPv6 literal, as the readers accept them; anything else is a host name. */
    static boolean isIpLiteral(String address) {
        if (address.indexOf(':') >= 0) {
            return true;
        }
        for (int i = 0; i < address.length(); i++) {
            char c = address.charAt(i);
            if ((c < '0' || c > '9') && c != '.') {
                return false;
            }
        }
        return !address.isEmpty();
    }
}
