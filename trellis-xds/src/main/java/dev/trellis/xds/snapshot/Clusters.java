package dev.trellis.xds.snapshot;

import com.google.protobuf.UInt32Value;
import dev.trellis.model.LoadBalancer;
import dev.trellis.model.LoadBalancerSettings;
import dev.trellis.model.Locality;
import dev.trellis.model.LocalityLbSetting;
import dev.trellis.model.Protocol;
import dev.trellis.model.TrafficPolicy;
import dev.trellis.xds.MeshMetadata;
import dev.trellis.xds.ProxyNodes;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds one Envoy cluster and its endpoints for a caller. Endpoints that are IP addresses travel
 * over EDS; host names make a {@code STRICT_DNS} cluster that carries them inline, as Istio does for
 * ServiceEntries resolved by DNS; the local app behind an inbound listener is a {@code STATIC} one.
 * The destination's policy fills the connection limits ({@link ConnectionPools}), outlier detection
 * ({@link OutlierDetections}) and balancing ({@link LoadBalancing}); its endpoints are sorted into
 * priorities and locality groups for the caller ({@link LocalityPriorities}); a RetryBudget
 * document travels in the cluster's metadata ({@link MeshMetadata#RETRY_BUDGET}).
 */
final class Clusters {
    /** Envoy's default share of spare capacity a priority is assumed to have, 1.4, stated outright. */
    static final int OVERPROVISIONING_FACTOR = 140;

    /** One endpoint to put in a cluster. */
    record Member(String address, int port, Map<String, String> labels, Locality locality) {}

    /** A cluster, and its endpoints when they travel apart (EDS). */
    record Built(Cluster cluster, ClusterLoadAssignment endpoints) {}

    private Clusters() {}

    /** A destination's cluster for {@code caller}: EDS when every endpoint is an IP address, else STRICT_DNS. */
    static Built service(Destinations.Destination destination, Caller caller) {
        String name = destination.cluster();
        TrafficPolicy policy = destination.policy();
        LocalityLbSetting locality = locality(policy);
        boolean failover = policy.outlierDetection().isPresent();
        Cluster.Builder cluster = Cluster.newBuilder()
                .setName(name)
                .setMetadata(MeshMetadata.cluster(destination.host(), destination.retryBudget()));
        ConnectionPools.apply(cluster, destination.protocol(), policy.connectionPool(), policy.retryBudget());
        OutlierDetections.apply(cluster, policy.outlierDetection());
        LoadBalancing.apply(cluster, destination.protocol(), policy.loadBalancer(), localityWeighted(locality, failover));
        boolean eds = destination.members().stream().allMatch(m -> isIpLiteral(m.address()));
        ClusterLoadAssignment assignment = ranked(name, LocalityPriorities.of(destination.members(), caller, locality, failover, eds));
        if (eds) {
            cluster.setType(Cluster.DiscoveryType.EDS).setEdsClusterConfig(edsOverAds());
            return new Built(cluster.build(), assignment);
        }
        cluster.setType(Cluster.DiscoveryType.STRICT_DNS).setLoadAssignment(assignment);
        return new Built(cluster.build(), null);
    }

    /** The local app, whose address never changes while the proxy runs. */
    static Cluster local(String name, String host, Protocol protocol, Member app) {
        Cluster.Builder cluster = Cluster.newBuilder()
                .setName(name)
                .setMetadata(MeshMetadata.cluster(host, Optional.empty()))
                .setType(Cluster.DiscoveryType.STATIC)
                .setLoadAssignment(assignment(name, List.of(app)));
        ConnectionPools.apply(cluster, protocol, Optional.empty(), Optional.empty());
        LoadBalancing.apply(cluster, protocol, Optional.of(LoadBalancerSettings.of(
                new LoadBalancer.Simple(LoadBalancer.Simple.Algorithm.ROUND_ROBIN))), false);
        return cluster.build();
    }

    /** The destination's locality setting, Istio's default when it sets none. */
    static LocalityLbSetting locality(TrafficPolicy policy) {
        return policy.loadBalancer().flatMap(LoadBalancerSettings::locality).orElse(LocalityLbSetting.DEFAULT);
    }

    /**
     * Whether locality weights apply, as Istio decides: with {@code distribute}, or with failover
     * rules where failover applies; not with the default failover order alone.
     */
    static boolean localityWeighted(LocalityLbSetting setting, boolean failover) {
        return setting.enabled() && (!setting.distribute().isEmpty() || failover && setting.setsFailover());
    }

    /** Endpoints in one priority, grouped by locality. */
    static ClusterLoadAssignment assignment(String name, List<Member> members) {
        return ranked(name, LocalityPriorities.of(members, Caller.NOWHERE, LocalityLbSetting.DISABLED, false, false));
    }

    /**
     * The groups as Envoy's localities, each with its locality, priority and weight (gRPC's xDS
     * client skips a locality without weight), and the overprovisioning factor stated.
     */
    static ClusterLoadAssignment ranked(String name, List<LocalityPriorities.Group> groups) {
        ClusterLoadAssignment.Builder assignment = ClusterLoadAssignment.newBuilder().setClusterName(name);
        assignment.getPolicyBuilder().setOverprovisioningFactor(UInt32Value.of(OVERPROVISIONING_FACTOR));
        for (LocalityPriorities.Group group : groups) {
            LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder()
                    .setPriority(group.priority())
                    .setLoadBalancingWeight(UInt32Value.of(group.weight()));
            if (!group.locality().isNone()) {
                locality.setLocality(ProxyNodes.locality(group.locality()));
            }
            for (Member member : group.members()) {
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
