package dev.trellis.xds.snapshot;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import dev.trellis.model.HttpRetry;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Translates a route's retries into Envoy's {@code RetryPolicy} as Istio does
 * ({@code pilot/pkg/networking/core/route/retry}): a route that says nothing gets Istio's default
 * policy; {@code attempts: 0} gets none; otherwise the default with what the route states laid over
 * it. HTTP statuses in {@code retryOn} become {@code retriable_status_codes}, and
 * {@code retriable-status-codes} joins the conditions when they are not already named.
 */
final class RetryPolicies {
    static final String PREVIOUS_HOSTS = "envoy.retry_host_predicates.previous_hosts";
    static final String PREVIOUS_PRIORITIES = "envoy.retry_priorities.previous_priorities";
    /** Istio's default conditions. */
    static final String DEFAULT_RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";
    /** How often a priority is skipped after being tried: Istio's value. */
    static final int PRIORITY_UPDATE_FREQUENCY = 2;
    /** The conditions a proxyless gRPC client reads: gRPC statuses by Envoy's names. */
    static final Set<String> GRPC_CONDITIONS = Set.of("cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable");

    private RetryPolicies() {}

    /**
     * @param retries what the route states; empty for Istio's default
     * @param consistentHash whether the route's one destination hashes consistently: a retry then
     *     stays free to pick the same host, as in Istio
     * @return the policy, or empty when the route turns retries off
     */
    static Optional<RetryPolicy> of(Optional<HttpRetry> retries, boolean consistentHash) {
        RetryPolicy.Builder policy = RetryPolicy.newBuilder()
                .setNumRetries(UInt32Value.of(2))
                .setRetryOn(DEFAULT_RETRY_ON)
                .addRetriableStatusCodes(503)
                .setHostSelectionRetryMaxAttempts(5);
        boolean previousHosts = !consistentHash;
        if (retries.isPresent()) {
            HttpRetry stated = retries.get();
            if (stated.attempts() == 0) {
                return Optional.empty();
            }
            policy.setNumRetries(UInt32Value.of(stated.attempts()));
            stated.retryOn().ifPresent(on -> {
                List<String> conditions = new ArrayList<>(on.conditions());
                if (!on.statusCodes().isEmpty() && !conditions.contains("retriable-status-codes")) {
                    conditions.add("retriable-status-codes");
                }
                policy.setRetryOn(String.join(",", conditions))
                        .clearRetriableStatusCodes()
                        .addAllRetriableStatusCodes(on.statusCodes());
            });
            stated.perTryTimeout().ifPresent(t -> policy.setPerTryTimeout(Protos.duration(t)));
            previousHosts = stated.ignorePreviousHosts().orElse(previousHosts);
            if (stated.retryRemoteLocalities()) {
                policy.setRetryPriority(RetryPolicy.RetryPriority.newBuilder()
                        .setName(PREVIOUS_PRIORITIES)
                        .setTypedConfig(Any.pack(PreviousPrioritiesConfig.newBuilder()
                                .setUpdateFrequency(PRIORITY_UPDATE_FREQUENCY)
                                .build())));
            }
            stated.backoff().ifPresent(b -> policy.setRetryBackOff(
                    RetryPolicy.RetryBackOff.newBuilder().setBaseInterval(Protos.duration(b))));
        }
        if (previousHosts) {
            policy.addRetryHostPredicate(RetryPolicy.RetryHostPredicate.newBuilder()
                    .setName(PREVIOUS_HOSTS)
                    .setTypedConfig(Any.pack(PreviousHostsPredicate.getDefaultInstance())));
        }
        return Optional.of(policy.build());
    }

    /**
     * The part of a policy a proxyless gRPC client reads: how many retries, on which gRPC statuses,
     * and the back-off. Empty when no condition is a gRPC status: gRPC would not retry anyway.
     */
    static Optional<RetryPolicy> forGrpc(RetryPolicy policy) {
        List<String> conditions = grpcConditions(policy.getRetryOn());
        if (conditions.isEmpty()) {
            return Optional.empty();
        }
        RetryPolicy.Builder grpc = RetryPolicy.newBuilder()
                .setNumRetries(policy.getNumRetries())
                .setRetryOn(String.join(",", conditions));
        if (policy.hasRetryBackOff()) {
            grpc.setRetryBackOff(policy.getRetryBackOff());
        }
        return Optional.of(grpc.build());
    }

    /** The conditions of a comma-separated {@code retry_on} that are gRPC statuses, in order. */
    static List<String> grpcConditions(String retryOn) {
        List<String> conditions = new ArrayList<>();
        for (String condition : retryOn.split(",")) {
            if (GRPC_CONDITIONS.contains(condition) && !conditions.contains(condition)) {
                conditions.add(condition);
            }
        }
        return conditions;
    }
}
