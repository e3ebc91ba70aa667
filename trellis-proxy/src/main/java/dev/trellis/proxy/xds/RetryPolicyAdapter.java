package dev.trellis.proxy.xds;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.trellis.proxy.route.RequestMatcher;
import dev.trellis.proxy.route.RetryOn;
import dev.trellis.proxy.route.RetryPolicy;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads Envoy's {@code RouteAction.retry_policy} into a {@link RetryPolicy}, with Envoy's defaults
 * for what it leaves out: one retry, no per-try timeout, one pick per retry, a back-off of 25 ms
 * doubling up to 250 ms. Of the retry extensions it takes the {@code previous_hosts} predicate and
 * the {@code previous_priorities} priority with Istio's update frequency of 2.
 */
final class RetryPolicyAdapter {
    private static final Set<String> POLICY = Set.of("retry_on", "num_retries", "per_try_timeout", "retry_priority",
            "retry_host_predicate", "host_selection_retry_max_attempts", "retriable_status_codes", "retry_back_off",
            "retriable_headers");
    private static final Set<String> EXTENSION = Set.of("name", "typed_config");
    static final String PREVIOUS_HOSTS = "envoy.retry_host_predicates.previous_hosts";
    static final String PREVIOUS_PRIORITIES = "envoy.retry_priorities.previous_priorities";
    static final int PRIORITY_UPDATE_FREQUENCY = 2;

    private final Matchers matchers;
    private final Refusals refusals;

    RetryPolicyAdapter(Matchers matchers, Refusals refusals) {
        this.matchers = matchers;
        this.refusals = refusals;
    }

    /** The policy; {@link RetryPolicy#NONE} after refusing it. */
    RetryPolicy policy(io.envoyproxy.envoy.config.route.v3.RetryPolicy policy, String where) {
        int before = refusals.count();
        refusals.onlyFields(policy, where, POLICY);
        Set<RetryOn> retryOn = retryOn(policy.getRetryOn(), where + ".retry_on");
        int numRetries = policy.hasNumRetries() ? policy.getNumRetries().getValue() : 1;
        if (numRetries < 0) {
            refusals.add(where + ".num_retries", Integer.toUnsignedString(numRetries) + " (expected: at most " + Integer.MAX_VALUE + ")");
        }
        Duration perTryTimeout = policy.hasPerTryTimeout()
                ? Values.duration(policy.getPerTryTimeout(), where + ".per_try_timeout", refusals)
                : Duration.ZERO;
        Set<Integer> statuses = new LinkedHashSet<>();
        for (int status : policy.getRetriableStatusCodesList()) {
            if (status < 100 || status > 599) {
                refusals.add(where + ".retriable_status_codes", Integer.toUnsignedString(status) + " (expected: HTTP statuses, 100..599)");
            }
            statuses.add(status);
        }
        List<RequestMatcher.HeaderCondition> headers = new ArrayList<>();
        for (int i = 0; i < policy.getRetriableHeadersCount(); i++) {
            headers.add(matchers.header(policy.getRetriableHeaders(i), where + ".retriable_headers[" + i + "]"));
        }
        boolean otherHosts = false;
        for (int i = 0; i < policy.getRetryHostPredicateCount(); i++) {
            otherHosts |= previousHosts(policy.getRetryHostPredicate(i), where + ".retry_host_predicate[" + i + "]");
        }
        long hostAttempts = policy.getHostSelectionRetryMaxAttempts() == 0 ? 1 : policy.getHostSelectionRetryMaxAttempts();
        if (hostAttempts < 1 || hostAttempts > Integer.MAX_VALUE) {
            refusals.add(where + ".host_selection_retry_max_attempts", hostAttempts + " (expected: 1.." + Integer.MAX_VALUE + ")");
        }
        boolean otherPriorities = policy.hasRetryPriority() && previousPriorities(policy.getRetryPriority(), where + ".retry_priority");
        Duration base = RetryPolicy.DEFAULT_BACKOFF_BASE;
        Duration max = null;
        if (policy.hasRetryBackOff()) {
            var backOff = policy.getRetryBackOff();
            String at = where + ".retry_back_off";
            refusals.onlyFields(backOff, at, Set.of("base_interval", "max_interval"));
            base = backOff.hasBaseInterval() ? Values.duration(backOff.getBaseInterval(), at + ".base_interval", refusals) : null;
            if (base == null || base.isZero()) {
                refusals.add(at + ".base_interval", (base == null ? "missing" : "0s") + " (expected: more than 0s)");
            }
            max = backOff.hasMaxInterval() ? Values.duration(backOff.getMaxInterval(), at + ".max_interval", refusals) : null;
            if (max != null && base != null && max.compareTo(base) < 0) {
                refusals.add(at + ".max_interval", max + " (expected: at least base_interval, " + base + ")");
            }
        }
        if (refusals.count() > before) {
            return RetryPolicy.NONE;
        }
        return new RetryPolicy(numRetries, perTryTimeout, retryOn, statuses, headers, otherHosts, (int) hostAttempts,
                otherPriorities, base, max != null ? max : base.multipliedBy(10));
    }

    /** Envoy's comma-separated conditions, each one Trellis retries on. */
    private Set<RetryOn> retryOn(String text, String where) {
        Set<RetryOn> conditions = EnumSet.noneOf(RetryOn.class);
        for (String given : text.split(",")) {
            String name = given.strip();
            if (name.isEmpty()) {
                continue;
            }
            RetryOn condition = RetryOn.byEnvoyName(name);
            if (condition == null) {
                refusals.add(where, "\"" + name + "\" is not a condition Trellis retries on (expected: "
                        + Arrays.stream(RetryOn.values()).map(RetryOn::envoyName).collect(Collectors.joining(", ")) + ")");
            } else {
                conditions.add(condition);
            }
        }
        return conditions;
    }

    /** Whether the predicate is {@code previous_hosts}, the one Trellis has; refused otherwise. */
    private boolean previousHosts(io.envoyproxy.envoy.config.route.v3.RetryPolicy.RetryHostPredicate predicate, String where) {
        refusals.onlyFields(predicate, where, EXTENSION);
        if (!predicate.getName().equals(PREVIOUS_HOSTS) || !predicate.getTypedConfig().is(PreviousHostsPredicate.class)) {
            refusals.add(where, describe(predicate.getName(), predicate.getTypedConfig()) + " (expected: "
                    + PREVIOUS_HOSTS + " with a PreviousHostsPredicate)");
            return false;
        }
        try {
            refusals.onlyFields(predicate.getTypedConfig().unpack(PreviousHostsPredicate.class), where + ".typed_config", Set.of());
        } catch (InvalidProtocolBufferException e) {
            refusals.add(where + ".typed_config", "cannot be read: " + e.getMessage());
        }
        return true;
    }

    /** Whether the priority is Istio's {@code previous_priorities}, the one Trellis has; refused otherwise. */
    private boolean previousPriorities(io.envoyproxy.envoy.config.route.v3.RetryPolicy.RetryPriority priority, String where) {
        refusals.onlyFields(priority, where, EXTENSION);
        if (!priority.getName().equals(PREVIOUS_PRIORITIES) || !priority.getTypedConfig().is(PreviousPrioritiesConfig.class)) {
            refusals.add(where, describe(priority.getName(), priority.getTypedConfig()) + " (expected: "
                    + PREVIOUS_PRIORITIES + " with a PreviousPrioritiesConfig)");
            return false;
        }
        try {
            PreviousPrioritiesConfig config = priority.getTypedConfig().unpack(PreviousPrioritiesConfig.class);
            refusals.onlyFields(config, where + ".typed_config", Set.of("update_frequency"));
            if (config.getUpdateFrequency() != PRIORITY_UPDATE_FREQUENCY) {
                refusals.add(where + ".typed_config.update_frequency", config.getUpdateFrequency()
                        + " (expected: " + PRIORITY_UPDATE_FREQUENCY + ", Istio's: a tier is left after two tries)");
            }
        } catch (InvalidProtocolBufferException e) {
            refusals.add(where + ".typed_config", "cannot be read: " + e.getMessage());
        }
        return true;
    }

    /** An extension's name, and its config's type when it has one. */
    private static String describe(String name, com.google.protobuf.Any config) {
        return config.getTypeUrl().isEmpty() ? name : name + " (" + config.getTypeUrl() + ")";
    }
}
