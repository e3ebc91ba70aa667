package dev.trellis.proxy.http.router;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.proxy.route.RequestMatcher;
import dev.trellis.proxy.route.RetryOn;
import dev.trellis.proxy.route.RetryPolicy;
import dev.trellis.proxy.route.StringMatcher;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetryStateTest {
    static final HttpHeaders NONE = new DefaultHttpHeaders();

    static RetryState on(Set<RetryOn> on, Set<Integer> codes) {
        return new RetryState(new RetryPolicy(3, Duration.ZERO, on, codes, List.of(), true, 5, false,
                Duration.ofMillis(25), Duration.ofMillis(250)));
    }

    @Test
    void fiveXxRetriesEveryServerErrorAndEveryFailure() {
        RetryState state = on(EnumSet.of(RetryOn.FIVE_XX), Set.of());
        assertThat(RetryState.retriable(state.policy(), 500, NONE)).isTrue();
        assertThat(RetryState.retriable(state.policy(), 503, NONE)).isTrue();
        assertThat(RetryState.retriable(state.policy(), 404, NONE)).isFalse();
        for (Failure failure : Failure.values()) {
            assertThat(RetryState.retriable(state.policy(), failure)).as("%s", failure).isTrue();
        }
    }

    @Test
    void gatewayErrorIsOnly502To504() {
        RetryState state = on(EnumSet.of(RetryOn.GATEWAY_ERROR), Set.of());
        assertThat(RetryState.retriable(state.policy(), 500, NONE)).isFalse();
        assertThat(RetryState.retriable(state.policy(), 502, NONE)).isTrue();
        assertThat(RetryState.retriable(state.policy(), 504, NONE)).isTrue();
        assertThat(RetryState.retriable(state.policy(), Failure.REFUSED_STREAM)).isFalse();
    }

    @Test
    void connectFailureDoesNotRetryAResetOrAStatus() {
        RetryState state = on(EnumSet.of(RetryOn.CONNECT_FAILURE), Set.of());
        assertThat(RetryState.retriable(state.policy(), Failure.CONNECT_FAILURE)).isTrue();
        assertThat(RetryState.retriable(state.policy(), Failure.RESET)).isFalse();
        assertThat(RetryState.retriable(state.policy(), Failure.PER_TRY_TIMEOUT)).isFalse();
        assertThat(RetryState.retriable(state.policy(), 503, NONE)).isFalse();
    }

    @Test
    void istioDefaultRetriesOnly503AmongStatuses() {
        RetryState state = new RetryState(RetryPolicy.ISTIO_DEFAULT);
        assertThat(RetryState.retriable(state.policy(), 503, NONE)).isTrue();
        assertThat(RetryState.retriable(state.policy(), 500, NONE)).isFalse();
        assertThat(RetryState.retriable(state.policy(), 502, NONE)).isFalse();
        assertThat(RetryState.retriable(state.policy(), Failure.CONNECT_FAILURE)).isTrue();
        assertThat(RetryState.retriable(state.policy(), Failure.REFUSED_STREAM)).isTrue();
        assertThat(RetryState.retriable(state.policy(), Failure.RESET)).isFalse();
    }

    @Test
    void retriable4xxIs409AndStatusCodesAreTheListedOnes() {
        assertThat(RetryState.retriable(on(EnumSet.of(RetryOn.RETRIABLE_4XX), Set.of()).policy(), 409, NONE)).isTrue();
        assertThat(RetryState.retriable(on(EnumSet.of(RetryOn.RETRIABLE_4XX), Set.of()).policy(), 429, NONE)).isFalse();
        RetryState codes = on(EnumSet.of(RetryOn.RETRIABLE_STATUS_CODES), Set.of(429, 418));
        assertThat(RetryState.retriable(codes.policy(), 429, NONE)).isTrue();
        assertThat(RetryState.retriable(codes.policy(), 418, NONE)).isTrue();
        assertThat(RetryState.retriable(codes.policy(), 500, NONE)).isFalse();
    }

    @Test
    void grpcConditionsReadTheStatusOfATrailersOnlyResponse() {
        RetryState state = on(EnumSet.of(RetryOn.GRPC_UNAVAILABLE, RetryOn.GRPC_RESOURCE_EXHAUSTED), Set.of());
        assertThat(RetryState.retriable(state.policy(), 200, new DefaultHttpHeaders().set("grpc-status", "14"))).isTrue();
        assertThat(RetryState.retriable(state.policy(), 200, new DefaultHttpHeaders().set("grpc-status", "8"))).isTrue();
        assertThat(RetryState.retriable(state.policy(), 200, new DefaultHttpHeaders().set("grpc-status", "13"))).isFalse();
        assertThat(RetryState.retriable(state.policy(), 200, new DefaultHttpHeaders().set("grpc-status", "0"))).isFalse();
        assertThat(RetryState.retriable(state.policy(), 200, NONE)).isFalse();
    }

    @Test
    void retriableHeadersMatchByNameAndValue() {
        RetryState state = new RetryState(new RetryPolicy(1, Duration.ZERO, EnumSet.of(RetryOn.RETRIABLE_HEADERS), Set.of(),
                List.of(new RequestMatcher.HeaderCondition("x-retry", StringMatcher.exact("yes", false))), false, 1, false,
                Duration.ofMillis(25), Duration.ofMillis(250)));
        assertThat(RetryState.retriable(state.policy(), 200, new DefaultHttpHeaders().set("x-retry", "yes"))).isTrue();
        assertThat(RetryState.retriable(state.policy(), 200, new DefaultHttpHeaders().set("x-retry", "no"))).isFalse();
        assertThat(RetryState.retriable(state.policy(), 500, NONE)).isFalse();
    }

    @Test
    void retriesAreCountedAndTheirBackoffGrowsWithinItsCap() {
        RetryState state = on(EnumSet.of(RetryOn.FIVE_XX), Set.of());
        assertThat(state.anyLeft()).isTrue();
        long maxFirst = 0;
        for (int i = 0; i < 1000; i++) {
            maxFirst = Math.max(maxFirst, backoffAfter(0));
        }
        assertThat(maxFirst).isLessThan(Duration.ofMillis(25).toNanos()).isGreaterThan(Duration.ofMillis(15).toNanos());
        state.use();
        state.use();
        state.use();
        assertThat(state.anyLeft()).isFalse();
        assertThat(state.retried()).isTrue();
        for (int i = 0; i < 1000; i++) {
            assertThat(state.backoffNanos()).isLessThan(Duration.ofMillis(250).toNanos());
        }
    }

    private static long backoffAfter(int retries) {
        RetryState state = on(EnumSet.of(RetryOn.FIVE_XX), Set.of());
        for (int i = 0; i < retries; i++) {
            state.use();
        }
        return state.backoffNanos();
    }

    @Test
    void otherHostsAvoidsWhatWasTried() {
        RetryState state = on(EnumSet.of(RetryOn.FIVE_XX), Set.of());
        var endpoint = new dev.trellis.proxy.balance.Endpoint("127.0.0.1", 1, java.util.Map.of());
        assertThat(state.avoid(endpoint)).isFalse();
        state.tried(endpoint, 0);
        assertThat(state.avoid(endpoint)).isTrue();
    }

    @Test
    void otherPrioritiesLeavesATierAfterTwoTries() {
        RetryState state = new RetryState(new RetryPolicy(3, Duration.ZERO, EnumSet.of(RetryOn.FIVE_XX), Set.of(), List.of(),
                false, 5, true, Duration.ofMillis(25), Duration.ofMillis(250)));
        var a = new dev.trellis.proxy.balance.Endpoint("127.0.0.1", 1, java.util.Map.of());
        state.tried(a, 0);
        assertThat(state.avoidTier(0)).isFalse();
        state.tried(a, 0);
        assertThat(state.avoidTier(0)).isTrue();
        assertThat(state.avoidTier(1)).isFalse();
        assertThat(on(EnumSet.of(RetryOn.FIVE_XX), Set.of()).avoidTier(0)).as("without otherPriorities").isFalse();
    }
}
