package dev.trellis.proxy.xds;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.trellis.proxy.config.UpstreamPolicy;
import dev.trellis.proxy.resilience.CircuitBreakerPolicy;
import dev.trellis.proxy.resilience.OutlierPolicy;
import dev.trellis.proxy.resilience.RetryBudgetPolicy;
import dev.trellis.xds.MeshMetadata;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.envoyproxy.envoy.config.core.v3.TcpKeepalive;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Reads what of an Envoy cluster protects its endpoints and itself into an {@link UpstreamPolicy}:
 * {@code circuit_breakers} (one DEFAULT threshold; fields left unset take Envoy's defaults, 1024
 * connections, pending and active requests and 3 retries), its {@code retry_budget} or a Linkerd
 * retry budget from the cluster's Trellis metadata (not both), {@code outlier_detection} with the
 * consecutive-error detectors Trellis runs, {@code connect_timeout} (Envoy's default 5 s) and
 * {@code upstream_connection_options.tcp_keepalive}.
 */
final class UpstreamAdapter {
    /** Envoy's thresholds when a cluster states none. */
    static final CircuitBreakerPolicy ENVOY_DEFAULT_BREAKERS = new CircuitBreakerPolicy(1024, 1024, 1024, 3);
    static final Duration ENVOY_DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private static final Set<String> BREAKERS = Set.of("thresholds");
    private static final Set<String> THRESHOLDS =
            Set.of("priority", "max_connections", "max_pending_requests", "max_requests", "max_retries", "retry_budget");
    private static final Set<String> RETRY_BUDGET = Set.of("budget_percent", "min_retry_concurrency");
    private static final Set<String> OUTLIER = Set.of("consecutive_5xx", "enforcing_consecutive_5xx", "consecutive_gateway_failure",
            "enforcing_consecutive_gateway_failure", "enforcing_success_rate", "split_external_local_origin_errors",
            "consecutive_local_origin_failure", "enforcing_consecutive_local_origin_failure", "enforcing_local_origin_success_rate",
            "interval", "base_ejection_time", "max_ejection_time", "max_ejection_percent");
    private static final Set<String> CONNECTION_OPTIONS = Set.of("tcp_keepalive");
    private static final Set<String> KEEPALIVE = Set.of("keepalive_probes", "keepalive_time", "keepalive_interval");
    private static final Set<String> RATE_BUDGET =
            Set.of(MeshMetadata.RETRY_RATIO, MeshMetadata.MIN_RETRIES_PER_SECOND, MeshMetadata.TTL);

    private UpstreamAdapter() {}

    /**
     * @param http the cluster's upstream HTTP options, for the idle timeout and requests per connection
     * @param minHealthPercent {@code common_lb_config.healthy_panic_threshold}, which outlier detection honours
     * @return null after recording why the cluster's policy cannot be run
     */
    static UpstreamPolicy policy(Cluster cluster, HttpOptions http, int minHealthPercent, String where, Refusals refusals) {
        int before = refusals.count();
        CircuitBreakers.Thresholds thresholds = thresholds(cluster, where, refusals);
        CircuitBreakerPolicy breakers = breakers(thresholds);
        RetryBudgetPolicy budget = retryBudget(cluster, thresholds, where, refusals);
        OutlierPolicy outlier = cluster.hasOutlierDetection()
                ? outlier(cluster.getOutlierDetection(), minHealthPercent, Refusals.at(where, "outlier_detection"), refusals)
                : null;
        Duration connectTimeout = cluster.hasConnectTimeout()
                ? ProtoDurations.positive(cluster.getConnectTimeout(), Refusals.at(where, "connect_timeout"), refusals)
                : ENVOY_DEFAULT_CONNECT_TIMEOUT;
        UpstreamPolicy.TcpKeepalive keepalive = null;
        if (cluster.hasUpstreamConnectionOptions()) {
            String at = Refusals.at(where, "upstream_connection_options");
            refusals.onlyFields(cluster.getUpstreamConnectionOptions(), at, CONNECTION_OPTIONS);
            TcpKeepalive tcp = cluster.getUpstreamConnectionOptions().getTcpKeepalive();
            refusals.onlyFields(tcp, at + ".tcp_keepalive", KEEPALIVE);
            keepalive = new UpstreamPolicy.TcpKeepalive(
                    tcp.hasKeepaliveProbes() ? tcp.getKeepaliveProbes().getValue() : null,
                    tcp.hasKeepaliveTime() ? Duration.ofSeconds(Integer.toUnsignedLong(tcp.getKeepaliveTime().getValue())) : null,
                    tcp.hasKeepaliveInterval() ? Duration.ofSeconds(Integer.toUnsignedLong(tcp.getKeepaliveInterval().getValue())) : null);
        }
        if (refusals.count() > before) {
            return null;
        }
        return new UpstreamPolicy(breakers, budget, outlier, connectTimeout, http.idleTimeout(), http.maxRequestsPerConnection(), keepalive);
    }

    /** The one DEFAULT threshold, or none; thresholds at other priorities are refused, Trellis having no request priorities. */
    private static CircuitBreakers.Thresholds thresholds(Cluster cluster, String where, Refusals refusals) {
        String at = Refusals.at(where, "circuit_breakers");
        refusals.onlyFields(cluster.getCircuitBreakers(), at, BREAKERS);
        CircuitBreakers.Thresholds found = null;
        for (int i = 0; i < cluster.getCircuitBreakers().getThresholdsCount(); i++) {
            CircuitBreakers.Thresholds t = cluster.getCircuitBreakers().getThresholds(i);
            String tAt = at + ".thresholds[" + i + "]";
            refusals.onlyFields(t, tAt, THRESHOLDS);
            if (t.getPriority() != RoutingPriority.DEFAULT) {
                refusals.add(tAt + ".priority", t.getPriority() + " (expected: DEFAULT; Trellis has no request priorities)");
            } else if (found != null) {
                refusals.add(tAt, "a second DEFAULT threshold (expected: one, which Envoy would use alone)");
            } else {
                found = t;
            }
        }
        if (found != null && found.hasRetryBudget()) {
            refusals.onlyFields(found.getRetryBudget(), at + ".thresholds.retry_budget", RETRY_BUDGET);
        }
        return found == null ? CircuitBreakers.Thresholds.getDefaultInstance() : found;
    }

    private static CircuitBreakerPolicy breakers(CircuitBreakers.Thresholds t) {
        CircuitBreakerPolicy d = ENVOY_DEFAULT_BREAKERS;
        return new CircuitBreakerPolicy(
                t.hasMaxConnections() ? Integer.toUnsignedLong(t.getMaxConnections().getValue()) : d.maxConnections(),
                t.hasMaxPendingRequests() ? Integer.toUnsignedLong(t.getMaxPendingRequests().getValue()) : d.maxPendingRequests(),
                t.hasMaxRequests() ? Integer.toUnsignedLong(t.getMaxRequests().getValue()) : d.maxRequests(),
                t.hasMaxRetries() ? Integer.toUnsignedLong(t.getMaxRetries().getValue()) : d.maxRetries());
    }

    /** Envoy's budget from the threshold, or Linkerd's from the metadata; null when neither. */
    private static RetryBudgetPolicy retryBudget(Cluster cluster, CircuitBreakers.Thresholds t, String where, Refusals refusals) {
        Optional<Value> rate = MeshMetadata.value(cluster.getMetadata(), MeshMetadata.RETRY_BUDGET);
        String rateAt = Refusals.at(where, "metadata.filter_metadata[" + MeshMetadata.NAMESPACE + "]." + MeshMetadata.RETRY_BUDGET);
        if (t.hasRetryBudget() && rate.isPresent()) {
            refusals.add(rateAt, "set beside circuit_breakers.thresholds.retry_budget (expected: one retry budget, Envoy's or Linkerd's)");
            return null;
        }
        if (t.hasRetryBudget()) {
            CircuitBreakers.Thresholds.RetryBudget b = t.getRetryBudget();
            double percent = b.hasBudgetPercent() ? b.getBudgetPercent().getValue() : RetryBudgetPolicy.Concurrent.DEFAULT.percent();
            long min = b.hasMinRetryConcurrency() ? Integer.toUnsignedLong(b.getMinRetryConcurrency().getValue())
                    : RetryBudgetPolicy.Concurrent.DEFAULT.minRetryConcurrency();
            return build(() -> new RetryBudgetPolicy.Concurrent(percent, min),
                    Refusals.at(where, "circuit_breakers.thresholds.retry_budget"), refusals);
        }
        return rate.map(value -> rateBudget(value, rateAt, refusals)).orElse(null);
    }

    /** Linkerd's budget as {@code MeshMetadata} writes it; each field Linkerd's default when absent. */
    private static RetryBudgetPolicy rateBudget(Value value, String where, Refusals refusals) {
        if (!value.hasStructValue()) {
            refusals.add(where, value.getKindCase() + " (expected: an object)");
            return null;
        }
        Struct fields = value.getStructValue();
        for (String key : fields.getFieldsMap().keySet()) {
            if (!RATE_BUDGET.contains(key)) {
                refusals.add(where + "." + key, "not supported by Trellis (expected: one of "
                        + String.join(", ", RATE_BUDGET.stream().sorted().toList()) + ")");
            }
        }
        RetryBudgetPolicy.Rate d = RetryBudgetPolicy.Rate.DEFAULT;
        Double ratio = number(fields, MeshMetadata.RETRY_RATIO, d.retryRatio(), where, refusals);
        Double perSecond = number(fields, MeshMetadata.MIN_RETRIES_PER_SECOND, d.minRetriesPerSecond(), where, refusals);
        Duration ttl = d.ttl();
        Value ttlValue = fields.getFieldsOrDefault(MeshMetadata.TTL, null);
        if (ttlValue != null) {
            try {
                ttl = ProtoDurations.of(com.google.protobuf.util.Durations.parse(ttlValue.getStringValue()));
            } catch (java.text.ParseException e) {
                refusals.add(where + "." + MeshMetadata.TTL, ttlValue.toString().strip() + " (expected: a duration such as \"10s\")");
                return null;
            }
        }
        if (ratio == null || perSecond == null) {
            return null;
        }
        if (perSecond != Math.rint(perSecond) || perSecond > Integer.MAX_VALUE) {
            refusals.add(where + "." + MeshMetadata.MIN_RETRIES_PER_SECOND, perSecond + " (expected: a whole number)");
            return null;
        }
        Duration finalTtl = ttl;
        return build(() -> new RetryBudgetPolicy.Rate(ratio, (int) (double) perSecond, finalTtl), where, refusals);
    }

    private static Double number(Struct fields, String key, double fallback, String where, Refusals refusals) {
        Value v = fields.getFieldsOrDefault(key, null);
        if (v == null) {
            return fallback;
        }
        if (!v.hasNumberValue()) {
            refusals.add(where + "." + key, v.toString().strip() + " (expected: a number)");
            return null;
        }
        return v.getNumberValue();
    }

    /**
     * Envoy's outlier detection as Trellis's consecutive-error detectors. Success-rate and
     * failure-percentage ejection, which Trellis does not run, must be off, and each detector is
     * enforced always or never.
     */
    private static OutlierPolicy outlier(OutlierDetection o, int minHealthPercent, String where, Refusals refusals) {
        int before = refusals.count();
        refusals.onlyFields(o, where, OUTLIER);
        off("enforcing_success_rate", o.hasEnforcingSuccessRate(), o.getEnforcingSuccessRate().getValue(), where, refusals);
        if (o.getSplitExternalLocalOriginErrors()) {
            off("enforcing_local_origin_success_rate", o.hasEnforcingLocalOriginSuccessRate(),
                    o.getEnforcingLocalOriginSuccessRate().getValue(), where, refusals);
        }
        // Envoy's defaults: 5 in a row for each; 5xx enforced, gateway failures not, local origin enforced.
        boolean on5xx = enforced("enforcing_consecutive_5xx", o.hasEnforcingConsecutive5Xx(),
                o.getEnforcingConsecutive5Xx().getValue(), true, where, refusals);
        boolean onGateway = enforced("enforcing_consecutive_gateway_failure", o.hasEnforcingConsecutiveGatewayFailure(),
                o.getEnforcingConsecutiveGatewayFailure().getValue(), false, where, refusals);
        boolean onLocal = enforced("enforcing_consecutive_local_origin_failure", o.hasEnforcingConsecutiveLocalOriginFailure(),
                o.getEnforcingConsecutiveLocalOriginFailure().getValue(), true, where, refusals);
        if (o.hasMaxEjectionPercent() && Integer.toUnsignedLong(o.getMaxEjectionPercent().getValue()) > 100) {
            refusals.add(where + ".max_ejection_percent", Integer.toUnsignedLong(o.getMaxEjectionPercent().getValue()) + " (expected: 0..100)");
        }
        OutlierPolicy.Builder policy = OutlierPolicy.builder()
                .consecutive5xxErrors(on5xx ? count(o.hasConsecutive5Xx(), o.getConsecutive5Xx().getValue()) : 0)
                .consecutiveGatewayErrors(onGateway ? count(o.hasConsecutiveGatewayFailure(), o.getConsecutiveGatewayFailure().getValue()) : 0)
                .splitExternalLocalOriginErrors(o.getSplitExternalLocalOriginErrors())
                .minHealthPercent(minHealthPercent);
        if (o.getSplitExternalLocalOriginErrors()) {
            policy.consecutiveLocalOriginFailures(
                    onLocal ? count(o.hasConsecutiveLocalOriginFailure(), o.getConsecutiveLocalOriginFailure().getValue()) : 0);
        }
        if (o.hasInterval()) {
            policy.interval(ProtoDurations.of(o.getInterval()));
        }
        if (o.hasBaseEjectionTime()) {
            policy.baseEjectionTime(ProtoDurations.of(o.getBaseEjectionTime()));
        }
        if (o.hasMaxEjectionTime()) {
            policy.maxEjectionTime(ProtoDurations.of(o.getMaxEjectionTime()));
        }
        if (o.hasMaxEjectionPercent()) {
            policy.maxEjectionPercent(o.getMaxEjectionPercent().getValue());
        }
        if (refusals.count() > before) {
            return null;
        }
        return build(policy::build, where, refusals);
    }

    private static int count(boolean has, int value) {
        return has ? (int) Math.min(Integer.MAX_VALUE, Integer.toUnsignedLong(value)) : 5;
    }

    /** A detector Trellis does not run must be stated off: Envoy reads it as on (100) when unset. */
    private static void off(String field, boolean has, int value, String where, Refusals refusals) {
        if (!has || value != 0) {
            refusals.add(where + "." + field, (has ? String.valueOf(Integer.toUnsignedLong(value)) : "unset, which Envoy reads as 100")
                    + " (expected: 0; Trellis ejects by consecutive errors only)");
        }
    }

    /** Whether a detector is on; refused when enforced at a share other than none or all. */
    private static boolean enforced(String field, boolean has, int value, boolean byDefault, String where, Refusals refusals) {
        if (!has) {
            return byDefault;
        }
        if (value != 0 && value != 100) {
            refusals.add(where + "." + field, Integer.toUnsignedLong(value) + " (expected: 0 or 100; Trellis enforces a detector always or never)");
        }
        return value != 0;
    }

    /** The policy the constructor builds, or a refusal with its message when it refuses the values. */
    private static <T> T build(Supplier<T> constructor, String where, Refusals refusals) {
        try {
            return constructor.get();
        } catch (IllegalArgumentException e) {
            refusals.add(where, e.getMessage());
            return null;
        }
    }

    /** The upstream HTTP options Trellis reads, apart from the protocol. */
    record HttpOptions(boolean http2, Duration idleTimeout, long maxRequestsPerConnection) {}
}
