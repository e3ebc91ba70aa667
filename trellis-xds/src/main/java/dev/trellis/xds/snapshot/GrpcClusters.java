package dev.trellis.xds.snapshot;

import dev.trellis.model.LoadBalancer;
import dev.trellis.xds.MeshMetadata;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import java.util.List;
import java.util.function.Consumer;

/**
 * Builds one cluster and its endpoints as gRPC's xDS client accepts them. It takes only EDS,
 * {@code LOGICAL_DNS} (one host name) and aggregate clusters; balancers ROUND_ROBIN,
 * LEAST_REQUEST and RING_HASH; endpoint addresses that are IP literals; and it NACKs transport
 * socket matches and load reporting to another server. So: IP endpoints travel over EDS, a single
 * host name makes a {@code LOGICAL_DNS} cluster that gRPC resolves itself, and host names beyond
 * that are left out with a problem. HTTP/2 options are left out too: gRPC always speaks HTTP/2.
 */
final class GrpcClusters {
    private GrpcClusters() {}

    /**
     * @param problems told which endpoints are left out, each problem saying where it comes from
     */
    static Clusters.Built service(Destinations.Destination destination, Consumer<String> problems) {
        String name = destination.cluster();
        List<Clusters.Member> members = destination.members();
        Cluster.Builder cluster = Cluster.newBuilder()
                .setName(name)
                .setLbPolicy(lbPolicy(destination.balancer()))
                .setMetadata(MeshMetadata.of(MeshMetadata.SERVICE, destination.host()));
        List<Clusters.Member> hostNames = members.stream().filter(m -> !Clusters.isIpLiteral(m.address())).toList();
        if (members.size() == 1 && hostNames.size() == 1) {
            cluster.setType(Cluster.DiscoveryType.LOGICAL_DNS).setLoadAssignment(Clusters.assignment(name, members));
            return new Clusters.Built(cluster.build(), null);
        }
        if (!hostNames.isEmpty()) {
            problems.accept(destination.service().map(s -> s.meta() + ": ").orElse("") + "cluster " + name
                    + ": endpoints " + hostNames.stream().map(Clusters.Member::address).toList()
                    + " are host names, and a gRPC client resolves one host name per cluster (LOGICAL_DNS) and no"
                    + " host name beside IP addresses; they are left out of what gRPC clients are served");
        }
        List<Clusters.Member> addresses = members.stream().filter(m -> Clusters.isIpLiteral(m.address())).toList();
        cluster.setType(Cluster.DiscoveryType.EDS).setEdsClusterConfig(Clusters.edsOverAds());
        return new Clusters.Built(cluster.build(), Clusters.assignment(name, addresses));
    }

    /** Envoy's balancer for the model's, RANDOM served as ROUND_ROBIN: gRPC has no random balancer and NACKs one. */
    static Cluster.LbPolicy lbPolicy(LoadBalancer policy) {
        Cluster.LbPolicy envoy = Clusters.lbPolicy(policy);
        return envoy == Cluster.LbPolicy.RANDOM ? Cluster.LbPolicy.ROUND_ROBIN : envoy;
    }
}
