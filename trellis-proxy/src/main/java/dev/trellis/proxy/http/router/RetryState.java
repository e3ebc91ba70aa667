package dev.trellis.proxy.http.router;

import dev.trellis.proxy.balance.Endpoint;
import dev.trellis.proxy.route.RequestMatcher;
import dev.trellis.proxy.route.RetryOn;
import dev.trellis.proxy.route.RetryPolicy;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One request's retries under its route's {@link RetryPolicy}: whether an outcome is worth
 * another try (asked of every response, statically), and, made once a request is retried, how
 * many tries are left, how long to back off, and which hosts were tried. Envoy's
 * semantics: a timeout counts as a 504 and a reset or failed connect as a 503 for {@code 5xx}
 * and {@code gateway-error}; {@code retriable-4xx} is 409; gRPC conditions read {@code
 * grpc-status} from a trailers-only response's headers.
 */
final class RetryState {
    private static final io.netty.util.AsciiString GRPC_STATUS = io.netty.util.AsciiString.cached("grpc-status");
    private final RetryPolicy policy;
    private final Set<RetryOn> on;
    private int retriesLeft;
    private int retriesDone;
    /** The hosts tried; made on the first retry, as most requests have one try. */
    private List<Endpoint> tried;
    private Endpoint first;
    /** Tries per locality tier, for {@link RetryPolicy#otherPriorities()}; made when needed. */
    private int[] triesByTier;

    RetryState(RetryPolicy policy) {
        this.policy = policy;
        this.on = policy.retryOn();
        this.retriesLeft = policy.retries() ? policy.numRetries() : 0;
    }

    RetryPolicy policy() {
        return policy;
    }

    boolean anyLeft() {
        return retriesLeft > 0;
    }

    boolean retried() {
        return retriesDone > 0;
    }

    /** Takes one retry; the caller has checked {@link #anyLeft()}. */
    void use() {
        retriesLeft--;
        retriesDone++;
    }

    void tried(Endpoint endpoint, int tier) {
        if (first == null) {
            first = endpoint;
        } else {
            if (tried == null) {
                tried = new ArrayList<>(4);
                tried.add(first);
            }
            tried.add(endpoint);
        }
        if (policy.otherPriorities()) {
            if (triesByTier == null || tier >= triesByTier.length) {
                triesByTier = triesByTier == null ? new int[tier + 1] : java.util.Arrays.copyOf(triesByTier, tier + 1);
            }
            triesByTier[tier]++;
        }
    }

    /**
     * Whether a retry should avoid {@code tier}: the policy asks for other priorities (Istio's
     * {@code retryRemoteLocalities}), and the tier has had two tries, as Envoy's {@code
     * previous_priorities} with the update frequency Istio sets, 2, leaves it.
     */
    boolean avoidTier(int tier) {
        return triesByTier != null && tier < triesByTier.length && triesByTier[tier] >= 2;
    }

    /** Whether a retry should avoid {@code endpoint}: it was tried, and the policy asks for other hosts. */
    boolean avoid(Endpoint endpoint) {
        return policy.otherHosts() && (tried != null ? tried.contains(endpoint) : endpoint == first);
    }

    /**
     * Whether the response head says the try failed in a way {@code policy} retries. Asked of every
     * response, so it needs no state and reads no header for a success unless the policy could
     * retry one (listed statuses, retriable headers, gRPC statuses).
     */
    static boolean retriable(RetryPolicy policy, int status, HttpHeaders headers) {
        Set<RetryOn> on = policy.retryOn();
        if (on.isEmpty()) {
            return false;
        }
        boolean grpcConditions = on.contains(RetryOn.GRPC_CANCELLED) || on.contains(RetryOn.GRPC_DEADLINE_EXCEEDED)
                || on.contains(RetryOn.GRPC_INTERNAL) || on.contains(RetryOn.GRPC_RESOURCE_EXHAUSTED)
                || on.contains(RetryOn.GRPC_UNAVAILABLE);
        if (status < 400 && !grpcConditions && !on.contains(RetryOn.RETRIABLE_HEADERS)
                && !(on.contains(RetryOn.RETRIABLE_STATUS_CODES) && !policy.retriableStatusCodes().isEmpty())) {
            return false; // the common case, decided without a look at the headers
        }
        if (status >= 500 && on.contains(RetryOn.FIVE_XX)) {
            return true;
        }
        if ((status == 502 || status == 503 || status == 504) && on.contains(RetryOn.GATEWAY_ERROR)) {
            return true;
        }
        if (status == 409 && on.contains(RetryOn.RETRIABLE_4XX)) {
            return true;
        }
        if (on.contains(RetryOn.RETRIABLE_STATUS_CODES) && policy.retriableStatusCodes().contains(status)) {
            return true;
        }
        if (on.contains(RetryOn.RETRIABLE_HEADERS) && matchesRetriableHeader(policy, headers)) {
            return true;
        }
        String grpc = grpcConditions ? headers.get(GRPC_STATUS) : null;
        if (grpc != null) {
            int code = parseGrpcStatus(grpc);
            for (RetryOn condition : on) {
                if (condition.grpcStatus() == code) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether a try that ended without a response is worth retrying under {@code policy}. */
    static boolean retriable(RetryPolicy policy, Failure failure) {
        Set<RetryOn> on = policy.retryOn();
        return switch (failure) {
            case CONNECT_FAILURE -> on.contains(RetryOn.CONNECT_FAILURE) || on.contains(RetryOn.FIVE_XX)
                    || on.contains(RetryOn.GATEWAY_ERROR) || on.contains(RetryOn.RESET);
            case REFUSED_STREAM -> on.contains(RetryOn.REFUSED_STREAM) || on.contains(RetryOn.FIVE_XX)
                    || on.contains(RetryOn.RESET);
            case RESET -> on.contains(RetryOn.RESET) || on.contains(RetryOn.FIVE_XX) || on.contains(RetryOn.GATEWAY_ERROR);
            case PER_TRY_TIMEOUT -> on.contains(RetryOn.FIVE_XX) || on.contains(RetryOn.GATEWAY_ERROR)
                    || on.contains(RetryOn.RESET);
        };
    }

    /** The back-off before the next retry: full jitter under base × 2^(retries done), capped at the max. */
    long backoffNanos() {
        long base = policy.backoffBase().toNanos();
        long cap = policy.backoffMax().toNanos();
        long ceiling = retriesDone >= 30 ? cap : Math.min(cap, base << retriesDone);
        return ThreadLocalRandom.current().nextLong(Math.max(1, ceiling));
    }

    private static boolean matchesRetriableHeader(RetryPolicy policy, HttpHeaders headers) {
        for (RequestMatcher.HeaderCondition condition : policy.retriableHeaders()) {
            String value = headers.get(condition.name());
            if (value != null && (condition.value() == null || condition.value().matches(value))) {
                return true;
            }
        }
        return false;
    }

    private static int parseGrpcStatus(String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
