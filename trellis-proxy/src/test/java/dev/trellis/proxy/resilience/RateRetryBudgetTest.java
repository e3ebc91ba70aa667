package dev.trellis.proxy.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateRetryBudgetTest {
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

    private final FakeClock clock = new FakeClock();

    @Test
    void defaultsAreLinkerds() {
        assertThat(RetryBudgetPolicy.Rate.DEFAULT).isEqualTo(new RetryBudgetPolicy.Rate(0.2, 10, TEN_SECONDS));
        assertThat(RetryBudget.of(RetryBudgetPolicy.Rate.DEFAULT)).isInstanceOf(RateRetryBudget.class);
    }

    @Test
    void settingsOutOfRangeAreRefusedWithTheirName() {
        assertThatThrownBy(() -> new RetryBudgetPolicy.Rate(-0.1, 10, TEN_SECONDS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("retryRatio: -0.1 (expected: 0..1000)");
        assertThatThrownBy(() -> new RetryBudgetPolicy.Rate(1000.5, 10, TEN_SECONDS)).hasMessage("retryRatio: 1000.5 (expected: 0..1000)");
        assertThatThrownBy(() -> new RetryBudgetPolicy.Rate(Double.NaN, 10, TEN_SECONDS)).hasMessage("retryRatio: NaN (expected: 0..1000)");
        assertThatThrownBy(() -> new RetryBudgetPolicy.Rate(0.2, -1, TEN_SECONDS)).hasMessage("minRetriesPerSecond: -1 (expected: >= 0)");
        assertThatThrownBy(() -> new RetryBudgetPolicy.Rate(0.2, 10, Duration.ofMillis(500))).hasMessage("ttl: PT0.5S (expected: 1s..60s)");
        assertThatThrownBy(() -> new RetryBudgetPolicy.Rate(0.2, 10, Duration.ofSeconds(61))).hasMessage("ttl: PT1M1S (expected: 1s..60s)");
        assertThatThrownBy(() -> new RetryBudgetPolicy.Rate(0.2, 10, null)).hasMessage("ttl: null (expected: 1s..60s)");
    }

    @Test
    void theReserveOfMinimumPerSecondTimesTtlIsAvailableWithNoRequests() {
        RateRetryBudget budget = new RateRetryBudget(RetryBudgetPolicy.Rate.DEFAULT);
        assertThat(budget.balance(clock.nanos())).isEqualTo(100.0);
        for (int i = 0; i < 100; i++) {
            assertThat(budget.tryWithdraw(clock.nanos())).as("retry %s", i).isTrue();
        }
        assertThat(budget.tryWithdraw(clock.nanos())).isFalse();
        assertThat(budget.retriesAllowed()).isEqualTo(100);
        assertThat(budget.retriesSkipped()).isEqualTo(1);
        assertThat(budget.balance(clock.nanos())).isZero();
    }

    @Test
    void eachRequestDepositsTheRatio() {
        RateRetryBudget budget = new RateRetryBudget(new RetryBudgetPolicy.Rate(0.2, 0, TEN_SECONDS));
        assertThat(budget.tryWithdraw(clock.nanos())).isFalse();
        for (int i = 0; i < 50; i++) {
            budget.requestStarted(clock.nanos());
        }
        assertThat(budget.requests()).isEqualTo(50);
        assertThat(budget.balance(clock.nanos())).isEqualTo(10.0);
        for (int i = 0; i < 10; i++) {
            assertThat(budget.tryWithdraw(clock.nanos())).isTrue();
        }
        assertThat(budget.tryWithdraw(clock.nanos())).isFalse();
        assertThat(budget.retriesSkipped()).isEqualTo(2);
    }

    @Test
    void ratiosThatAreNotOneOverAWholeNumberAreKeptExactly() {
        // A budget of integer withdrawal costs (tower's) would make 0.3 into one retry per 3 requests.
        RateRetryBudget budget = new RateRetryBudget(new RetryBudgetPolicy.Rate(0.3, 0, TEN_SECONDS));
        for (int i = 0; i < 10; i++) {
            budget.requestStarted(clock.nanos());
        }
        assertThat(budget.balance(clock.nanos())).isEqualTo(3.0);
        assertThat(budget.tryWithdraw(clock.nanos())).isTrue();
        assertThat(budget.tryWithdraw(clock.nanos())).isTrue();
        assertThat(budget.tryWithdraw(clock.nanos())).isTrue();
        assertThat(budget.tryWithdraw(clock.nanos())).isFalse();
    }

    @Test
    void noRatioAndNoMinimumAllowsNoRetry() {
        RetryBudget budget = RetryBudget.of(new RetryBudgetPolicy.Rate(0, 0, TEN_SECONDS));
        budget.requestStarted(clock.nanos());
        assertThat(budget.tryStartRetry(0, clock.nanos()).granted()).isFalse();
    }

    @Test
    void depositsCountForAtLeastTtlAndAtMostTtlAndATenth() {
        RateRetryBudget budget = new RateRetryBudget(new RetryBudgetPolicy.Rate(1, 0, TEN_SECONDS));
        long deposited = clock.nanos();
        for (int i = 0; i < 5; i++) {
            budget.requestStarted(deposited);
        }
        assertThat(budget.balance(deposited + TEN_SECONDS.toNanos() - 1)).isEqualTo(5.0);
        assertThat(budget.balance(deposited + Duration.ofSeconds(11).toNanos())).isZero();
        assertThat(budget.tryWithdraw(deposited + Duration.ofSeconds(11).toNanos())).isFalse();
    }

    @Test
    void aWithdrawalHoldsItsTokenForAtLeastTtlThenTheReserveRefills() {
        RateRetryBudget budget = new RateRetryBudget(RetryBudgetPolicy.Rate.DEFAULT);
        long start = clock.nanos();
        for (int i = 0; i < 100; i++) {
            assertThat(budget.tryWithdraw(start)).isTrue();
        }
        assertThat(budget.tryWithdraw(start + Duration.ofSeconds(5).toNanos())).isFalse();
        assertThat(budget.tryWithdraw(start + TEN_SECONDS.toNanos() - 1)).isFalse();
        long later = start + Duration.ofSeconds(11).toNanos();
        assertThat(budget.balance(later)).isEqualTo(100.0);
        assertThat(budget.tryWithdraw(later)).isTrue();
    }

    @Test
    void aWithdrawalOutlivesTheDepositThatPaidForIt() {
        RateRetryBudget budget = new RateRetryBudget(new RetryBudgetPolicy.Rate(1, 0, TEN_SECONDS));
        long start = clock.nanos();
        budget.requestStarted(start);
        long withdrawn = start + Duration.ofSeconds(5).toNanos();
        assertThat(budget.tryWithdraw(withdrawn)).isTrue();
        // The deposit expires before the withdrawal: the balance owes a token until it does too,
        // so a deposit made then cannot pay for a second retry inside one ttl.
        long between = start + Duration.ofMillis(12_500).toNanos();
        budget.requestStarted(between);
        assertThat(budget.balance(between)).isZero();
        assertThat(budget.tryWithdraw(between)).isFalse();
        assertThat(budget.balance(withdrawn + Duration.ofSeconds(11).toNanos())).isEqualTo(1.0);
    }

    @Test
    void worksWithNegativeClockReadings() {
        FakeClock negative = new FakeClock(-3_600_000_000_000L);
        RateRetryBudget budget = new RateRetryBudget(new RetryBudgetPolicy.Rate(0.5, 1, TEN_SECONDS));
        budget.requestStarted(negative.nanos());
        budget.requestStarted(negative.nanos());
        assertThat(budget.balance(negative.nanos())).isEqualTo(11.0);
        for (int i = 0; i < 11; i++) {
            assertThat(budget.tryWithdraw(negative.advance(Duration.ofMillis(100)))).isTrue();
        }
        assertThat(budget.tryWithdraw(negative.nanos())).isFalse();
        assertThat(budget.balance(negative.advanceSeconds(13))).isEqualTo(10.0);
    }

    @Test
    void theSharedInterfaceGrantsAPermitWithNothingToGiveBack() {
        RetryBudget budget = RetryBudget.of(new RetryBudgetPolicy.Rate(0, 1, Duration.ofSeconds(1)));
        Permit retry = budget.tryStartRetry(123, clock.nanos());
        assertThat(retry.granted()).isTrue();
        assertThat(retry.release()).isFalse();
        assertThat(budget.tryStartRetry(123, clock.nanos()).granted()).isFalse();
        assertThat(budget.retriesAllowed()).isEqualTo(1);
        assertThat(budget.retriesSkipped()).isEqualTo(1);
    }

    @Test
    void aRetryStormIsCappedByRatioTimesRequestsPlusMinimumTimesTimePlusTheReserve() {
        // Every request fails and asks a retry: 100 requests a second for 60 seconds.
        RetryBudgetPolicy.Rate policy = RetryBudgetPolicy.Rate.DEFAULT;
        RateRetryBudget budget = new RateRetryBudget(policy);
        long seconds = 60;
        for (int tick = 0; tick < seconds * 100; tick++) {
            long now = clock.advance(Duration.ofMillis(10));
            budget.requestStarted(now);
            budget.tryWithdraw(now);
        }
        long requests = budget.requests();
        long retries = budget.retriesAllowed();
        double reserve = policy.minRetriesPerSecond() * policy.ttl().toSeconds();
        double cap = policy.retryRatio() * requests + policy.minRetriesPerSecond() * seconds + reserve;
        assertThat(requests).isEqualTo(6_000);
        assertThat((double) retries).isLessThanOrEqualTo(cap);
        // Not stingy either: what the ratio earns, and most of the minimum rate, were let through.
        assertThat((double) retries).isGreaterThanOrEqualTo(policy.retryRatio() * requests + 0.9 * policy.minRetriesPerSecond() * seconds);
        assertThat(retries + budget.retriesSkipped()).isEqualTo(requests);
    }

    @Test
    void manyThreadsNeverOverdrawAndTheCountsComeOutExact() throws Exception {
        RateRetryBudget budget = new RateRetryBudget(new RetryBudgetPolicy.Rate(0.25, 10, TEN_SECONDS));
        long now = clock.nanos();
        int threads = 4;
        int rounds = 10_000;
        AtomicLong allowedSeen = new AtomicLong();
        Concurrently.run(threads, thread -> {
            for (int i = 0; i < rounds; i++) {
                if (i % 2 == 0) {
                    budget.requestStarted(now);
                }
                if (budget.tryWithdraw(now)) {
                    allowedSeen.incrementAndGet();
                }
            }
        });
        // 100 in reserve, plus a quarter of a token for each of 20,000 requests.
        long tokens = 100 + (long) threads * rounds / 2 / 4;
        assertThat(budget.requests()).isEqualTo((long) threads * rounds / 2);
        assertThat(allowedSeen.get()).isEqualTo(budget.retriesAllowed()).isLessThanOrEqualTo(tokens);
        assertThat(budget.retriesAllowed() + budget.retriesSkipped()).isEqualTo((long) threads * rounds);
        // Whatever contention left unspent is still there, to the token.
        while (budget.tryWithdraw(now)) {
            // drain
        }
        assertThat(budget.retriesAllowed()).isEqualTo(tokens);
        assertThat(budget.balance(now)).isGreaterThanOrEqualTo(0.0).isLessThan(1.0);
    }
}
