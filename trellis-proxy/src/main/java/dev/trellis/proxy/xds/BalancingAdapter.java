package dev.trellis.proxy.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import dev.trellis.proxy.balance.LbPolicy;
import dev.trellis.proxy.balance.LbSettings;
import dev.trellis.xds.PeakEwmaPolicy;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy;
import io.envoyproxy.envoy.extensions.load_balancing_policies.common.v3.LocalityLbConfig;
import io.envoyproxy.envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * Reads how an Envoy cluster balances: its algorithm, from {@code lb_policy} or from the first
 * policy of {@code load_balancing_policy} Trellis knows (Trellis's peak EWMA, or Envoy's least
 * request), as a client stops at the first it supports; the slow start of round robin and least
 * request ({@code lb_config}); and {@code common_lb_config}: the panic threshold (Envoy's default
 * 50% when unset) and whether locality weights apply.
 */
final class BalancingAdapter {
    /** Envoy's panic threshold when a cluster states none. */
    static final double ENVOY_DEFAULT_PANIC_THRESHOLD = 50;

    private static final Set<String> COMMON = Set.of("healthy_panic_threshold", "locality_weighted_lb_config");
    private static final Set<String> POLICY_LIST = Set.of("policies");
    private static final Set<String> POLICY = Set.of("typed_extension_config");
    private static final Set<String> EXTENSION = Set.of("name", "typed_config");
    private static final Set<String> LEAST_REQUEST = Set.of("locality_lb_config");
    private static final Set<String> LOCALITY_CONFIG = Set.of("locality_weighted_lb_config");
    private static final Set<String> SLOW_START_HOLDER = Set.of("slow_start_config");
    private static final Set<String> SLOW_START = Set.of("slow_start_window", "aggression", "min_weight_percent");
    private static final Set<String> RUNTIME_DOUBLE = Set.of("default_value", "runtime_key");
    private static final Set<String> PERCENT = Set.of("value");

    /**
     * How a cluster balances.
     *
     * @param settings warm-up and panic threshold, the rest at their defaults
     * @param localityWeighted whether endpoints' locality weights apply ({@code locality_weighted_lb_config})
     */
    record Balancing(LbPolicy policy, LbSettings settings, boolean localityWeighted) {}

    private BalancingAdapter() {}

    /** The cluster's balancing, or null after recording why it cannot be run. */
    static Balancing read(Cluster cluster, String where, Refusals refusals) {
        int before = refusals.count();
        String commonAt = Refusals.at(where, "common_lb_config");
        refusals.onlyFields(cluster.getCommonLbConfig(), commonAt, COMMON);
        double panic = ENVOY_DEFAULT_PANIC_THRESHOLD;
        if (cluster.getCommonLbConfig().hasHealthyPanicThreshold()) {
            refusals.onlyFields(cluster.getCommonLbConfig().getHealthyPanicThreshold(), commonAt + ".healthy_panic_threshold", PERCENT);
            panic = cluster.getCommonLbConfig().getHealthyPanicThreshold().getValue();
            if (!(panic >= 0 && panic <= 100) || panic != Math.rint(panic)) {
                refusals.add(commonAt + ".healthy_panic_threshold", panic + " (expected: a whole percentage, 0..100)");
            }
        }
        boolean weighted = cluster.getCommonLbConfig().hasLocalityWeightedLbConfig();
        if (weighted) {
            refusals.onlyFields(cluster.getCommonLbConfig().getLocalityWeightedLbConfig(), commonAt + ".locality_weighted_lb_config", Set.of());
        }
        LbPolicy policy;
        Cluster.SlowStartConfig slowStart = null;
        if (cluster.hasLoadBalancingPolicy()) {
            if (cluster.getLbPolicy() != Cluster.LbPolicy.ROUND_ROBIN || cluster.getLbConfigCase() != Cluster.LbConfigCase.LBCONFIG_NOT_SET) {
                refusals.add(Refusals.at(where, cluster.getLbConfigCase() != Cluster.LbConfigCase.LBCONFIG_NOT_SET ? "lb_config" : "lb_policy"),
                        "set beside load_balancing_policy, which supersedes it (expected: one of them)");
            }
            Chosen chosen = chosen(cluster.getLoadBalancingPolicy(), Refusals.at(where, "load_balancing_policy"), refusals);
            policy = chosen == null ? null : chosen.policy();
            weighted |= chosen != null && chosen.localityWeighted();
        } else {
            policy = switch (cluster.getLbPolicy()) {
                case ROUND_ROBIN -> LbPolicy.ROUND_ROBIN;
                case LEAST_REQUEST -> LbPolicy.LEAST_REQUEST;
                case RANDOM -> LbPolicy.RANDOM;
                case RING_HASH -> LbPolicy.RING_HASH;
                default -> {
                    refusals.add(Refusals.at(where, "lb_policy"), cluster.getLbPolicy()
                            + " (expected: ROUND_ROBIN, LEAST_REQUEST, RANDOM or RING_HASH, or load_balancing_policy)");
                    yield null;
                }
            };
            slowStart = slowStart(cluster, policy, where, refusals);
        }
        LbSettings settings = LbSettings.DEFAULTS.withPanicThresholdPercent(Math.max(0, Math.min(100, panic)));
        if (slowStart != null) {
            settings = warmup(settings, slowStart, Refusals.at(where, "lb_config.slow_start_config"), refusals);
        }
        return refusals.count() > before ? null : new Balancing(policy, settings, weighted);
    }

    /** The policy of a cluster's load_balancing_policy, and whether it weighs localities. */
    private record Chosen(LbPolicy policy, boolean localityWeighted) {}

    private static Chosen chosen(LoadBalancingPolicy policies, String where, Refusals refusals) {
        refusals.onlyFields(policies, where, POLICY_LIST);
        for (int i = 0; i < policies.getPoliciesCount(); i++) {
            String at = where + ".policies[" + i + "]";
            LoadBalancingPolicy.Policy p = policies.getPolicies(i);
            refusals.onlyFields(p, at, POLICY);
            refusals.onlyFields(p.getTypedExtensionConfig(), at + ".typed_extension_config", EXTENSION);
            Any config = p.getTypedExtensionConfig().getTypedConfig();
            Optional<Struct> peakEwma = PeakEwmaPolicy.settings(config);
            if (peakEwma.isPresent()) {
                if (peakEwma.get().getFieldsCount() > 0) {
                    refusals.add(at + ".typed_extension_config.typed_config.value", "settings " + peakEwma.get().getFieldsMap().keySet()
                            + " (expected: none; Trellis's peak EWMA takes its defaults)");
                }
                return new Chosen(LbPolicy.PEAK_EWMA, false);
            }
            if (config.is(LeastRequest.class)) {
                return new Chosen(LbPolicy.LEAST_REQUEST, leastRequestWeighted(config, at + ".typed_extension_config.typed_config", refusals));
            }
            // Any other policy: a client that does not support it takes the next one.
        }
        refusals.add(where, "no policy Trellis supports (expected: one of " + PeakEwmaPolicy.TYPE_URL
                + ", type.googleapis.com/" + LeastRequest.getDescriptor().getFullName() + ")");
        return null;
    }

    private static boolean leastRequestWeighted(Any config, String where, Refusals refusals) {
        try {
            LeastRequest leastRequest = config.unpack(LeastRequest.class);
            refusals.onlyFields(leastRequest, where, LEAST_REQUEST);
            LocalityLbConfig locality = leastRequest.getLocalityLbConfig();
            refusals.onlyFields(locality, where + ".locality_lb_config", LOCALITY_CONFIG);
            return locality.hasLocalityWeightedLbConfig();
        } catch (InvalidProtocolBufferException e) {
            refusals.add(where, "cannot be read: " + e.getMessage());
            return false;
        }
    }

    /** The slow start of round robin's or least request's lb_config, the only lb_config Trellis reads. */
    private static Cluster.SlowStartConfig slowStart(Cluster cluster, LbPolicy policy, String where, Refusals refusals) {
        return switch (cluster.getLbConfigCase()) {
            case LBCONFIG_NOT_SET -> null;
            case ROUND_ROBIN_LB_CONFIG -> {
                refusals.onlyFields(cluster.getRoundRobinLbConfig(), Refusals.at(where, "round_robin_lb_config"), SLOW_START_HOLDER);
                yield matching(policy, LbPolicy.ROUND_ROBIN, cluster.getRoundRobinLbConfig().getSlowStartConfig(),
                        "round_robin_lb_config", where, refusals);
            }
            case LEAST_REQUEST_LB_CONFIG -> {
                refusals.onlyFields(cluster.getLeastRequestLbConfig(), Refusals.at(where, "least_request_lb_config"),
                        SLOW_START_HOLDER);
                yield matching(policy, LbPolicy.LEAST_REQUEST, cluster.getLeastRequestLbConfig().getSlowStartConfig(),
                        "least_request_lb_config", where, refusals);
            }
            default -> {
                refusals.add(Refusals.at(where, "lb_config"), cluster.getLbConfigCase()
                        + " (expected: round_robin_lb_config or least_request_lb_config, for slow start)");
                yield null;
            }
        };
    }

    private static Cluster.SlowStartConfig matching(LbPolicy policy, LbPolicy expected, Cluster.SlowStartConfig config, String field,
            String where, Refusals refusals) {
        if (policy != expected) {
            refusals.add(Refusals.at(where, field), "set with lb_policy " + policy + " (expected: lb_policy " + expected + ")");
            return null;
        }
        return config;
    }

    /** Envoy's slow start as a warm-up; Trellis has no runtime, so an aggression's default value is its value. */
    private static LbSettings warmup(LbSettings settings, Cluster.SlowStartConfig config, String where, Refusals refusals) {
        refusals.onlyFields(config, where, SLOW_START);
        if (!config.hasSlowStartWindow()) {
            return settings; // Envoy starts nothing slowly without a window
        }
        Duration window = ProtoDurations.of(config.getSlowStartWindow());
        double aggression = 1.0;
        if (config.hasAggression()) {
            refusals.onlyFields(config.getAggression(), where + ".aggression", RUNTIME_DOUBLE);
            aggression = config.getAggression().getDefaultValue();
        }
        double minimum = 10;
        if (config.hasMinWeightPercent()) {
            refusals.onlyFields(config.getMinWeightPercent(), where + ".min_weight_percent", PERCENT);
            minimum = config.getMinWeightPercent().getValue();
        }
        try {
            return settings.withWarmup(window, minimum, aggression);
        } catch (IllegalArgumentException e) {
            refusals.add(where, e.getMessage());
            return settings;
        }
    }
}
