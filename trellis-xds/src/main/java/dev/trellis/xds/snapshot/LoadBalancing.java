package dev.trellis.xds.snapshot;

import com.google.protobuf.Any;
import dev.trellis.model.LoadBalancer;
import dev.trellis.model.LoadBalancerSettings;
import dev.trellis.model.LoadBalancerSettings.Warmup;
import dev.trellis.model.Protocol;
import dev.trellis.xds.PeakEwmaPolicy;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy;
import io.envoyproxy.envoy.config.core.v3.RuntimeDouble;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.extensions.load_balancing_policies.common.v3.LocalityLbConfig;
import io.envoyproxy.envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest;
import io.envoyproxy.envoy.type.v3.Percent;
import java.util.Optional;

/**
 * A destination's load balancing as a cluster's Envoy fields. {@code simple} and
 * {@code consistentHash} are {@code lb_policy} (a consistent hash is a ring whose key the route
 * names); a warm-up is the {@code slow_start_config} of round robin's or least request's
 * {@code lb_config}, as Istio sets it. With no algorithm given, an HTTP port balances by peak EWMA,
 * Trellis's default: {@code load_balancing_policy} lists Trellis's own policy ({@link
 * PeakEwmaPolicy}) and then {@code envoy.load_balancing_policies.least_request}, which an Envoy,
 * not knowing the first, takes instead. A TCP port, or one given a warm-up (peak EWMA has none),
 * keeps Istio's default, least request. Locality weighting ({@code locality_weighted_lb_config}) is
 * stated in {@code common_lb_config}, and for an Envoy in its least-request fallback too.
 */
final class LoadBalancing {
    static final String LEAST_REQUEST = "envoy.load_balancing_policies.least_request";
    /**
     * Envoy requires a runtime key beside a warm-up's aggression; nothing sets this one, so the
     * aggression given is the one used (Istio uses "(" for the same reason).
     */
    static final String AGGRESSION_RUNTIME_KEY = "trellis.slow_start.aggression";

    private LoadBalancing() {}

    /** @param localityWeighted whether the endpoints' locality weights apply */
    static void apply(Cluster.Builder cluster, Protocol protocol, Optional<LoadBalancerSettings> settings, boolean localityWeighted) {
        Optional<LoadBalancer> algorithm = settings.flatMap(LoadBalancerSettings::algorithm);
        Optional<Warmup> warmup = settings.flatMap(LoadBalancerSettings::warmup);
        if (localityWeighted) {
            cluster.getCommonLbConfigBuilder().setLocalityWeightedLbConfig(Cluster.CommonLbConfig.LocalityWeightedLbConfig.getDefaultInstance());
        }
        if (algorithm.isEmpty() && protocol.isHttp() && warmup.isEmpty()) {
            LeastRequest.Builder fallback = LeastRequest.newBuilder();
            if (localityWeighted) {
                fallback.setLocalityLbConfig(LocalityLbConfig.newBuilder()
                        .setLocalityWeightedLbConfig(LocalityLbConfig.LocalityWeightedLbConfig.getDefaultInstance()));
            }
            cluster.setLoadBalancingPolicy(LoadBalancingPolicy.newBuilder()
                    .addPolicies(policy(PeakEwmaPolicy.NAME, PeakEwmaPolicy.typedConfig()))
                    .addPolicies(policy(LEAST_REQUEST, Any.pack(fallback.build()))));
            return;
        }
        Cluster.LbPolicy policy = lbPolicy(algorithm.orElse(LoadBalancer.DEFAULT));
        cluster.setLbPolicy(policy);
        warmup.ifPresent(w -> {
            if (policy == Cluster.LbPolicy.ROUND_ROBIN) {
                cluster.setRoundRobinLbConfig(Cluster.RoundRobinLbConfig.newBuilder().setSlowStartConfig(slowStart(w)));
            } else if (policy == Cluster.LbPolicy.LEAST_REQUEST) {
                cluster.setLeastRequestLbConfig(Cluster.LeastRequestLbConfig.newBuilder().setSlowStartConfig(slowStart(w)));
            }
        });
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

    private static LoadBalancingPolicy.Policy policy(String name, Any config) {
        return LoadBalancingPolicy.Policy.newBuilder()
                .setTypedExtensionConfig(TypedExtensionConfig.newBuilder().setName(name).setTypedConfig(config))
                .build();
    }

    /** Istio's {@code setWarmup}: the window, the aggression (1 for linear) and the minimum weight (10%). */
    private static Cluster.SlowStartConfig slowStart(Warmup warmup) {
        return Cluster.SlowStartConfig.newBuilder()
                .setSlowStartWindow(Protos.duration(warmup.duration()))
                .setAggression(RuntimeDouble.newBuilder().setDefaultValue(warmup.aggression()).setRuntimeKey(AGGRESSION_RUNTIME_KEY))
                .setMinWeightPercent(Percent.newBuilder().setValue(warmup.minimumPercent()))
                .build();
    }
}
