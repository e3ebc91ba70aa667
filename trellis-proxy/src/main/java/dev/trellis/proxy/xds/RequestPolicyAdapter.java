package dev.trellis.proxy.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.trellis.proxy.route.Fault;
import dev.trellis.proxy.route.Mirror;
import dev.trellis.proxy.route.RateLimit;
import dev.trellis.proxy.route.RequestPolicy;
import dev.trellis.proxy.route.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads how a route carries its requests into a {@link RequestPolicy}: the route action's
 * {@code timeout} (Envoy's 15 s when unset), {@code max_stream_duration}, {@code retry_policy}
 * (none when unset) and {@code request_mirror_policies}, and the route's per-route settings of the
 * listener's fault and local rate limit filters. A setting for a filter the listener does not run
 * is read, to refuse what Trellis could not honour, and then left out, as Envoy leaves it unused.
 */
final class RequestPolicyAdapter {
    /** Envoy's route timeout when a route states none. */
    static final Duration ENVOY_DEFAULT_TIMEOUT = Duration.ofSeconds(15);
    private static final Set<String> MAX_STREAM_DURATION = Set.of("max_stream_duration", "grpc_timeout_header_max");
    private static final Set<String> MIRROR = Set.of("cluster", "runtime_fraction");

    private final Map<String, HttpFiltersAdapter.Kind> filters;
    private final Refusals refusals;
    private final RetryPolicyAdapter retries;
    private final FaultAdapter faults;
    private final RateLimitAdapter rateLimits;

    /** @param filters the listener's filters by name */
    RequestPolicyAdapter(Map<String, HttpFiltersAdapter.Kind> filters, Matchers matchers, Refusals refusals) {
        this.filters = filters;
        this.refusals = refusals;
        this.retries = new RetryPolicyAdapter(matchers, refusals);
        this.faults = new FaultAdapter(refusals);
        this.rateLimits = new RateLimitAdapter(refusals);
    }

    /** The policy of a route whose action is {@code route.route}; partly default after refusals. */
    RequestPolicy policy(Route route, String where) {
        RouteAction action = route.getRoute();
        String at = where + ".route";
        Duration timeout = action.hasTimeout() ? Values.duration(action.getTimeout(), at + ".timeout", refusals) : ENVOY_DEFAULT_TIMEOUT;
        Duration grpcTimeoutMax = action.hasMaxStreamDuration() ? grpcTimeoutMax(action.getMaxStreamDuration(), at + ".max_stream_duration") : null;
        RetryPolicy retry = action.hasRetryPolicy() ? retries.policy(action.getRetryPolicy(), at + ".retry_policy") : RetryPolicy.NONE;
        List<Mirror> mirrors = new ArrayList<>();
        for (int i = 0; i < action.getRequestMirrorPoliciesCount(); i++) {
            Mirror mirror = mirror(action.getRequestMirrorPolicies(i), at + ".request_mirror_policies[" + i + "]");
            if (mirror != null) {
                mirrors.add(mirror);
            }
        }
        Fault fault = null;
        RateLimit rateLimit = null;
        for (Map.Entry<String, Any> config : new TreeMap<>(route.getTypedPerFilterConfigMap()).entrySet()) {
            String name = config.getKey();
            String configWhere = where + ".typed_per_filter_config[\"" + name + "\"]";
            HttpFiltersAdapter.Kind kind = filters.get(name);
            try {
                if (config.getValue().is(HTTPFault.class)) {
                    Fault read = faults.fault(config.getValue().unpack(HTTPFault.class), configWhere);
                    fault = kind == HttpFiltersAdapter.Kind.FAULT ? read : fault;
                } else if (config.getValue().is(LocalRateLimit.class)) {
                    RateLimit read = rateLimits.rateLimit(config.getValue().unpack(LocalRateLimit.class), configWhere);
                    rateLimit = kind == HttpFiltersAdapter.Kind.LOCAL_RATE_LIMIT ? read : rateLimit;
                } else {
                    refusals.add(configWhere, config.getValue().getTypeUrl()
                            + " (expected: the settings of the fault or local rate limit filter)");
                }
            } catch (InvalidProtocolBufferException e) {
                refusals.add(configWhere, "cannot be read: " + e.getMessage());
            }
        }
        return new RequestPolicy(timeout == null ? Duration.ZERO : timeout, grpcTimeoutMax, retry, mirrors, fault, rateLimit);
    }

    /**
     * How far a caller's {@code grpc-timeout} may go: {@code grpc_timeout_header_max}, 0 for no
     * bound, or null when unset (the header is then ignored). A stream duration limit is refused.
     */
    private Duration grpcTimeoutMax(RouteAction.MaxStreamDuration limits, String where) {
        refusals.onlyFields(limits, where, MAX_STREAM_DURATION);
        if (limits.hasMaxStreamDuration()) {
            Duration max = Values.duration(limits.getMaxStreamDuration(), where + ".max_stream_duration", refusals);
            if (max != null && !max.isZero()) {
                refusals.add(where + ".max_stream_duration", max + " (expected: 0s or unset; Trellis limits a request by the route's timeout)");
            }
        }
        return limits.hasGrpcTimeoutHeaderMax()
                ? Values.duration(limits.getGrpcTimeoutHeaderMax(), where + ".grpc_timeout_header_max", refusals)
                : null;
    }

    private Mirror mirror(RouteAction.RequestMirrorPolicy mirror, String where) {
        refusals.onlyFields(mirror, where, MIRROR);
        if (mirror.getCluster().isEmpty()) {
            refusals.add(where + ".cluster", "missing (expected: the cluster to copy requests to)");
            return null;
        }
        double percent = 100; // Envoy copies every request when no fraction is given
        if (mirror.hasRuntimeFraction()) {
            refusals.onlyFields(mirror.getRuntimeFraction(), where + ".runtime_fraction", Set.of("default_value"));
            percent = Values.percent(mirror.getRuntimeFraction().getDefaultValue(), where + ".runtime_fraction.default_value", refusals);
        }
        return new Mirror(mirror.getCluster(), percent);
    }
}
