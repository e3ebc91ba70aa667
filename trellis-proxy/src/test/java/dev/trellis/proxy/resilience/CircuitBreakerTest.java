package dev.trellis.proxy.resilience;

import static dev.trellis.proxy.resilience.CircuitBreaker.Resource.CONNECTIONS;
import static dev.trellis.proxy.resilience.CircuitBreaker.Resource.PENDING_REQUESTS;
import static dev.trellis.proxy.resilience.CircuitBreaker.Resource.REQUESTS;
import static dev.trellis.proxy.resilience.CircuitBreaker.Resource.RETRIES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trellis.proxy.resilience.CircuitBreaker.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {
    @Test
    void defaultsAreIstiosEffectivelyUnlimitedLimits() {
        CircuitBreakerPolicy policy = CircuitBreakerPolicy.builder().build();
        assertThat(policy).isEqualTo(CircuitBreakerPolicy.DEFAULT);
        for (Resource resource : Resource.values()) {
            assertThat(policy.limit(resource)).isEqualTo(4_294_967_295L);
        }
    }

    @Test
    void limitsOutsideEnvoysUint32AreRefusedWithTheirName() {
        assertThatThrownBy(() -> CircuitBreakerPolicy.builder().maxConnections(-1).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxConnections: -1 (expected: 0..4294967295)");
        assertThatThrownBy(() -> CircuitBreakerPolicy.builder().maxPendingRequests(4_294_967_296L).build())
                .hasMessage("maxPendingRequests: 4294967296 (expected: 0..4294967295)");
        assertThatThrownBy(() -> CircuitBreakerPolicy.builder().maxRequests(-5).build())
                .hasMessage("maxRequests: -5 (expected: 0..4294967295)");
        assertThatThrownBy(() -> CircuitBreakerPolicy.builder().maxRetries(-1).build())
                .hasMessage("maxRetries: -1 (expected: 0..4294967295)");
    }

    @Test
    void grantsUpToTheLimitThenRefusesAndCountsTheOverflow() {
        CircuitBreaker breaker = new CircuitBreaker(CircuitBreakerPolicy.builder().maxPendingRequests(2).build());
        Permit first = breaker.tryAcquire(PENDING_REQUESTS);
        Permit second = breaker.tryAcquire(PENDING_REQUESTS);
        assertThat(first.granted()).isTrue();
        assertThat(second.granted()).isTrue();
        assertThat(breaker.isOpen(PENDING_REQUESTS)).isTrue();
        assertThat(breaker.remaining(PENDING_REQUESTS)).isZero();

        Permit third = breaker.tryAcquire(PENDING_REQUESTS);
        assertThat(third.granted()).isFalse();
        assertThat(breaker.overflows(PENDING_REQUESTS)).isEqualTo(1);
        assertThat(breaker.active(PENDING_REQUESTS)).isEqualTo(2);

        assertThat(first.release()).isTrue();
        assertThat(breaker.isOpen(PENDING_REQUESTS)).isFalse();
        assertThat(breaker.remaining(PENDING_REQUESTS)).isEqualTo(1);
        assertThat(breaker.tryAcquire(PENDING_REQUESTS).granted()).isTrue();
        assertThat(breaker.overflows(PENDING_REQUESTS)).isEqualTo(1);
    }

    @Test
    void unitsTakenWithoutAPermitCountAgainstTheSameLimit() {
        CircuitBreaker breaker = new CircuitBreaker(CircuitBreakerPolicy.builder().maxRequests(2).build());
        assertThat(breaker.tryTake(REQUESTS)).isTrue();
        Permit permit = breaker.tryAcquire(REQUESTS);
        assertThat(permit.granted()).isTrue();
        assertThat(breaker.tryTake(REQUESTS)).as("past the limit").isFalse();
        assertThat(breaker.overflows(REQUESTS)).isEqualTo(1);
        breaker.giveBack(REQUESTS);
        assertThat(breaker.active(REQUESTS)).isEqualTo(1);
        assertThat(breaker.tryTake(REQUESTS)).as("room again").isTrue();
        breaker.giveBack(REQUESTS);
        permit.release();
        assertThat(breaker.active(REQUESTS)).isZero();
    }

    @Test
    void eachResourceHasItsOwnCountAndOverflowCounter() {
        CircuitBreaker breaker = new CircuitBreaker(new CircuitBreakerPolicy(1, 1, 1, 1));
        for (Resource resource : Resource.values()) {
            assertThat(breaker.tryAcquire(resource).granted()).as("%s", resource).isTrue();
        }
        assertThat(breaker.tryAcquire(RETRIES).granted()).isFalse();
        assertThat(breaker.tryAcquire(RETRIES).granted()).isFalse();
        assertThat(breaker.tryAcquire(CONNECTIONS).granted()).isFalse();
        assertThat(breaker.overflows(RETRIES)).isEqualTo(2);
        assertThat(breaker.overflows(CONNECTIONS)).isEqualTo(1);
        assertThat(breaker.overflows(REQUESTS)).isZero();
        assertThat(breaker.overflows(PENDING_REQUESTS)).isZero();
    }

    @Test
    void overflowsNameEnvoysCounters() {
        assertThat(CONNECTIONS.envoyOverflowCounter()).isEqualTo("upstream_cx_overflow");
        assertThat(PENDING_REQUESTS.envoyOverflowCounter()).isEqualTo("upstream_rq_pending_overflow");
        assertThat(REQUESTS.envoyOverflowCounter()).isEqualTo("upstream_rq_pending_overflow");
        assertThat(RETRIES.envoyOverflowCounter()).isEqualTo("upstream_rq_retry_overflow");
    }

    @Test
    void aLimitOfZeroRefusesEverything() {
        CircuitBreaker breaker = new CircuitBreaker(CircuitBreakerPolicy.builder().maxRetries(0).build());
        assertThat(breaker.tryAcquire(RETRIES).granted()).isFalse();
        assertThat(breaker.isOpen(RETRIES)).isTrue();
        assertThat(breaker.tryAcquire(REQUESTS).granted()).isTrue();
    }

    @Test
    void aPermitReleasedTwiceGivesBackOneUnit() {
        CircuitBreaker breaker = new CircuitBreaker(CircuitBreakerPolicy.builder().maxRequests(2).build());
        Permit held = breaker.tryAcquire(REQUESTS);
        Permit twice = breaker.tryAcquire(REQUESTS);
        assertThat(twice.release()).isTrue();
        assertThat(twice.release()).isFalse();
        assertThat(twice.release()).isFalse();
        assertThat(breaker.active(REQUESTS)).isEqualTo(1);
        assertThat(held.granted()).isTrue();

        // Were the double release counted, two more would fit.
        assertThat(breaker.tryAcquire(REQUESTS).granted()).isTrue();
        assertThat(breaker.tryAcquire(REQUESTS).granted()).isFalse();
    }

    @Test
    void aDeniedPermitHasNothingToRelease() {
        CircuitBreaker breaker = new CircuitBreaker(CircuitBreakerPolicy.builder().maxConnections(1).build());
        Permit held = breaker.tryAcquire(CONNECTIONS);
        Permit denied = breaker.tryAcquire(CONNECTIONS);
        assertThat(denied.release()).isFalse();
        assertThat(breaker.active(CONNECTIONS)).isEqualTo(1);
        assertThat(held.release()).isTrue();
        assertThat(breaker.active(CONNECTIONS)).isZero();
    }

    @Test
    void forceAcquireCountsPastTheLimit() {
        CircuitBreaker breaker = new CircuitBreaker(CircuitBreakerPolicy.builder().maxConnections(1).build());
        breaker.tryAcquire(CONNECTIONS);
        Permit forced = breaker.forceAcquire(CONNECTIONS);
        assertThat(forced.granted()).isTrue();
        assertThat(breaker.active(CONNECTIONS)).isEqualTo(2);
        assertThat(breaker.remaining(CONNECTIONS)).isZero();
        assertThat(breaker.overflows(CONNECTIONS)).isZero();
        forced.release();
        assertThat(breaker.active(CONNECTIONS)).isEqualTo(1);
    }

    @Test
    void manyThreadsNeverHoldMoreThanTheLimitAndTheCountsComeOutExact() throws Exception {
        int limit = 3;
        int threads = 4;
        int rounds = 20_000;
        CircuitBreaker breaker = new CircuitBreaker(CircuitBreakerPolicy.builder().maxRequests(limit).build());
        AtomicInteger held = new AtomicInteger();
        AtomicInteger mostHeld = new AtomicInteger();
        AtomicLong granted = new AtomicLong();
        Concurrently.run(threads, thread -> {
            List<Permit> mine = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                Permit permit = breaker.tryAcquire(REQUESTS);
                if (permit.granted()) {
                    granted.incrementAndGet();
                    mostHeld.accumulateAndGet(held.incrementAndGet(), Math::max);
                    mine.add(permit);
                }
                if (!mine.isEmpty() && (i % 3 == 0 || mine.size() > 1)) {
                    Permit done = mine.remove(0);
                    held.decrementAndGet();
                    assertThat(done.release()).isTrue();
                    assertThat(done.release()).isFalse(); // a late second end path
                }
            }
            for (Permit permit : mine) {
                held.decrementAndGet();
                permit.release();
            }
        });
        assertThat(mostHeld.get()).isLessThanOrEqualTo(limit);
        assertThat(breaker.active(REQUESTS)).isZero();
        assertThat(granted.get() + breaker.overflows(REQUESTS)).isEqualTo((long) threads * rounds);
        assertThat(granted.get()).isPositive();
    }

    @Test
    void aPermitReleasedByManyThreadsAtOnceGivesBackOneUnit() throws Exception {
        CircuitBreaker breaker = new CircuitBreaker(CircuitBreakerPolicy.DEFAULT);
        int permits = 2_000;
        List<Permit> shared = new ArrayList<>();
        for (int i = 0; i < permits; i++) {
            shared.add(breaker.tryAcquire(CONNECTIONS));
        }
        AtomicInteger releases = new AtomicInteger();
        Concurrently.run(4, thread -> {
            for (Permit permit : shared) {
                if (permit.release()) {
                    releases.incrementAndGet();
                }
            }
        });
        assertThat(releases.get()).isEqualTo(permits);
        assertThat(breaker.active(CONNECTIONS)).isZero();
    }
}
