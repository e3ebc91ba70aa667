package dev.trellis.proxy.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ConcurrentRetryBudgetTest {
    @Test
    void defaultsAreEnvoysAndIstios() {
        assertThat(RetryBudgetPolicy.Concurrent.DEFAULT).isEqualTo(new RetryBudgetPolicy.Concurrent(20, 3));
        assertThat(RetryBudget.of(RetryBudgetPolicy.Concurrent.DEFAULT)).isInstanceOf(ConcurrentRetryBudget.class);
    }

    @Test
    void settingsOutOfRangeAreRefusedWithTheirName() {
        assertThatThrownBy(() -> new RetryBudgetPolicy.Concurrent(120, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("percent: 120.0 (expected: 0..100)");
        assertThatThrownBy(() -> new RetryBudgetPolicy.Concurrent(-1, 3)).hasMessage("percent: -1.0 (expected: 0..100)");
        assertThatThrownBy(() -> new RetryBudgetPolicy.Concurrent(Double.NaN, 3)).hasMessage("percent: NaN (expected: 0..100)");
        assertThatThrownBy(() -> new RetryBudgetPolicy.Concurrent(20, -1))
                .hasMessage("minRetryConcurrency: -1 (expected: 0..4294967295)");
    }

    @Test
    void allowsPercentOfTheRequestsInFlightRoundedDownAndNeverFewerThanTheMinimum() {
        ConcurrentRetryBudget budget = new ConcurrentRetryBudget(RetryBudgetPolicy.Concurrent.DEFAULT);
        assertThat(budget.maxActiveRetries(25)).isEqualTo(5); // Envoy's example
        assertThat(budget.maxActiveRetries(24)).isEqualTo(4);
        assertThat(budget.maxActiveRetries(2)).isEqualTo(3);
        assertThat(budget.maxActiveRetries(0)).isEqualTo(3);
        assertThat(budget.maxActiveRetries(1_000)).isEqualTo(200);
        assertThatThrownBy(() -> budget.maxActiveRetries(-1)).hasMessage("activeRequests: -1 (expected: >= 0)");
    }

    @Test
    void refusesTheRetryPastTheAllowanceAndCountsTheSkip() {
        ConcurrentRetryBudget budget = new ConcurrentRetryBudget(RetryBudgetPolicy.Concurrent.DEFAULT);
        List<Permit> retries = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Permit retry = budget.tryStartRetry(25);
            assertThat(retry.granted()).isTrue();
            retries.add(retry);
        }
        assertThat(budget.tryStartRetry(25).granted()).isFalse();
        assertThat(budget.retriesSkipped()).isEqualTo(1);
        assertThat(budget.retriesAllowed()).isEqualTo(5);
        assertThat(budget.activeRetries()).isEqualTo(5);

        retries.remove(0).release();
        assertThat(budget.tryStartRetry(25).granted()).isTrue();
        assertThat(budget.retriesAllowed()).isEqualTo(6);
    }

    @Test
    void theAllowanceFollowsTheLoadWhenTheRetryAsks() {
        ConcurrentRetryBudget budget = new ConcurrentRetryBudget(RetryBudgetPolicy.Concurrent.DEFAULT);
        List<Permit> retries = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            retries.add(budget.tryStartRetry(25));
        }
        // The load fell to 10 requests: 3 retries allowed, 5 still running.
        assertThat(budget.tryStartRetry(10).granted()).isFalse();
        retries.remove(0).release();
        retries.remove(0).release();
        assertThat(budget.tryStartRetry(10).granted()).isFalse();
        retries.remove(0).release();
        assertThat(budget.tryStartRetry(10).granted()).isTrue();
    }

    @Test
    void aRetryEndedTwiceFreesOneSlot() {
        ConcurrentRetryBudget budget = new ConcurrentRetryBudget(new RetryBudgetPolicy.Concurrent(0, 1));
        Permit retry = budget.tryStartRetry(100);
        assertThat(budget.tryStartRetry(100).granted()).isFalse();
        assertThat(retry.release()).isTrue();
        assertThat(retry.release()).isFalse();
        assertThat(budget.activeRetries()).isZero();
        assertThat(budget.tryStartRetry(100).granted()).isTrue();
        assertThat(budget.tryStartRetry(100).granted()).isFalse();
    }

    @Test
    void noPercentAndNoMinimumAllowsNoRetry() {
        RetryBudget budget = RetryBudget.of(new RetryBudgetPolicy.Concurrent(0, 0));
        budget.requestStarted(0);
        assertThat(budget.tryStartRetry(1_000, 0).granted()).isFalse();
        assertThat(budget.retriesSkipped()).isEqualTo(1);
    }

    @Test
    void theSharedInterfaceAsksTheSameAllowance() {
        RetryBudget budget = RetryBudget.of(RetryBudgetPolicy.Concurrent.DEFAULT);
        for (int i = 0; i < 3; i++) {
            assertThat(budget.tryStartRetry(1, 0).granted()).isTrue();
        }
        assertThat(budget.tryStartRetry(1, 0).granted()).isFalse();
        assertThat(budget.policy()).isEqualTo(RetryBudgetPolicy.Concurrent.DEFAULT);
    }

    @Test
    void manyThreadsNeverRunMoreRetriesThanAllowedAndTheCountsComeOutExact() throws Exception {
        ConcurrentRetryBudget budget = new ConcurrentRetryBudget(RetryBudgetPolicy.Concurrent.DEFAULT);
        int threads = 4;
        int rounds = 20_000;
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostRunning = new AtomicInteger();
        Concurrently.run(threads, thread -> {
            List<Permit> mine = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                Permit retry = budget.tryStartRetry(50); // allowance 10
                if (retry.granted()) {
                    mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                    mine.add(retry);
                }
                if (mine.size() > 2 || (!mine.isEmpty() && i % 2 == 0)) {
                    running.decrementAndGet();
                    Permit done = mine.remove(0);
                    done.release();
                    done.release();
                }
            }
            for (Permit retry : mine) {
                running.decrementAndGet();
                retry.release();
            }
        });
        assertThat(mostRunning.get()).isLessThanOrEqualTo(10);
        assertThat(budget.activeRetries()).isZero();
        assertThat(budget.retriesAllowed() + budget.retriesSkipped()).isEqualTo((long) threads * rounds);
    }
}
