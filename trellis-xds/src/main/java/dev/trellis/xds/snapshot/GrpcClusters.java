package dev.trellis.xds.snapshot;

import com.google.protobuf.UInt32Value;
import dev.trellis.model.ConnectionPool;
import dev.trellis.model.LoadBalancer;
import dev.trellis.model.LoadBalancerSettings;
import dev.trellis.model.OutlierDetection;
import dev.trellis.model.TrafficPolicy;
import dev.trellis.xds.MeshMetadata;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Builds one cluster and its endpoints as gRPC's xDS client accepts them. It takes only EDS,
 * {@code LOGICAL_DNS} (one host name) and aggregate clusters; balancers ROUND_ROBIN,
 * LEAST_REQUEST and RING_HASH; endpoint addresses that are IP literals; and it NACKs transport
 * socket matches and load reporting to another server. So: IP endpoints travel over EDS, a single
 * host name makes a {@code LOGICAL_DNS} cluster that gRPC resolves itself, and host names beyond
 * that are left out with a problem. HTTP/2 options are left out too: gRPC always speaks HTTP/2.
 *
 * <p>Of the policy, what grpc-java applies: {@code circuit_breakers} DEFAULT {@code max_requests}
 * (Istio's {@code http2MaxRequests}, 2^32-1 when unset as Istio sends it; grpc-java's own default
 * would be 1024); {@code outlier_detection} as Istio fills it but without its consecutive-error
 * fields, which grpc-java does not read (it ejects by success rate and failure percentage, both of
 * which Istio turns off); EDS priorities and locality weights, for the caller's locality.
 */
final class GrpcClusters {
    private GrpcClusters() {}

    /**
     * @param caller the client's locality, by which its endpoints are ranked
     * @param problems told which endpoints are left out, each problem saying where it comes from
     */
    static Clusters.Built service(Destinations.Destination destination, Caller caller, Consumer<String> problems) {
        String name = destination.cluster();
        TrafficPolicy policy = destination.policy();
        List<Clusters.Member> members = destination.members();
        Cluster.Builder cluster = Cluster.newBuilder()
                .setName(name)
                .setLbPolicy(lbPolicy(destination.balancer()))
                .setMetadata(MeshMetadata.of(MeshMetadata.SERVICE, destination.host()))
                .setCircuitBreakers(CircuitBreakers.newBuilder().addThresholds(CircuitBreakers.Thresholds.newBuilder()
                        .setMaxRequests(ConnectionPools.limit(policy.connectionPool().map(ConnectionPool::http2MaxRequests).orElse(0)))));
        policy.outlierDetection().ifPresent(d -> cluster.setOutlierDetection(outlierDetection(d)));
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
        return new Clusters.Built(cluster.build(), Clusters.ranked(name, LocalityPriorities.of(addresses, caller,
                Clusters.locality(policy), policy.outlierDetection().isPresent(), true)));
    }

    /** Envoy's balancer for the model's, RANDOM served as ROUND_ROBIN: gRPC has no random balancer and NACKs one. */
    static Cluster.LbPolicy lbPolicy(LoadBalancer policy) {
        Cluster.LbPolicy envoy = LoadBalancing.lbPolicy(policy);
        return envoy == Cluster.LbPolicy.RANDOM ? Cluster.LbPolicy.ROUND_ROBIN : envoy;
    }

    /** Istio's fields that grpc-java reads: the sweep interval and ejection limits, success-rate ejection off. */
    private static io.envoyproxy.envoy.config.cluster.v3.OutlierDetection outlierDetection(OutlierDetection d) {
        io.envoyproxy.envoy.config.cluster.v3.OutlierDetection.Builder out = io.envoyproxy.envoy.config.cluster.v3.OutlierDetection.newBuilder()
                .setEnforcingSuccessRate(UInt32Value.of(0));
        d.interval().ifPresent(i -> out.setInterval(Protos.duration(i)));
        d.baseEjectionTime().ifPresent(t -> out.setBaseEjectionTime(Protos.duration(t)));
        if (d.maxEjectionPercent() > 0) {
            out.setMaxEjectionPercent(UInt32Value.of(d.maxEjectionPercent()));
        }
        return out.build();
    }

    /** The fields of a destination's policy that gRPC clients do not apply, as its documents name them. */
    static List<String> notApplied(TrafficPolicy policy) {
        List<String> fields = new ArrayList<>();
        policy.connectionPool().ifPresent(p -> {
            add(fields, p.maxConnections() > 0, "connectionPool.tcp.maxConnections");
            add(fields, p.connectTimeout().isPresent(), "connectionPool.tcp.connectTimeout");
            add(fields, p.tcpKeepalive().isPresent(), "connectionPool.tcp.tcpKeepalive");
            add(fields, p.http1MaxPendingRequests() > 0, "connectionPool.http.http1MaxPendingRequests");
            add(fields, p.maxRequestsPerConnection() > 0, "connectionPool.http.maxRequestsPerConnection");
            add(fields, p.maxRetries() > 0, "connectionPool.http.maxRetries");
            add(fields, p.idleTimeout().isPresent(), "connectionPool.http.idleTimeout");
        });
        add(fields, policy.outlierDetection().isPresent(), "outlierDetection's consecutive-error ejection (grpc-java ejects"
                + " by success rate and failure percentage only, both of which Istio turns off, so it ejects nothing)");
        add(fields, policy.loadBalancer().flatMap(LoadBalancerSettings::warmup).isPresent(), "loadBalancer.warmup");
        add(fields, policy.retryBudget().isPresent(), "retryBudget");
        return fields;
    }

    private static void add(List<String> fields, boolean set, String field) {
        if (set) {
            fields.add(field);
        }
    }
}
