package dev.trellis.proxy.resilience;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Linkerd's retry budget: each request deposits {@code retryRatio} tokens, each retry withdraws one,
 * and both count for {@code ttl}; a reserve of {@code minRetriesPerSecond × ttl} tokens is there at
 * all times. A retry is allowed while the reserve plus the deposits minus the withdrawals still
 * counting stays at or above zero.
 *
 * <p>A sliding window of ten buckets of {@code ttl/10} plus the current one keeps the count, so
 * every call is O(1). A deposit or withdrawal counts from when it is made until its bucket falls
 * out, between {@code ttl} and {@code ttl + ttl/10} later. A withdrawal so holds its token for at
 * least {@code ttl}, and no less long than any deposit made before it: sustained retries stay
 * within {@code retryRatio} per request plus {@code minRetriesPerSecond} per second, and a retry
 * storm of {@code T} seconds gets about {@code retryRatio × requests + minRetriesPerSecond × T},
 * plus the reserve it found at its start.
 *
 * <p>Lock-free. A withdrawal is taken first and given back if it overdrew, so concurrent retries
 * never overdraw together; near an empty budget two of them may both be refused where one would
 * have fitted, and that refusal is counted as a skip like any other.
 */
public final class RateRetryBudget implements RetryBudget {
    /** Fixed-point tokens: a millionth of a token is the smallest unit. */
    private static final long UNIT = 1_000_000L;

    private static final int WINDOWS = 10;
    private static final int SLOTS = WINDOWS + 1;

    private final RetryBudgetPolicy.Rate policy;
    private final long bucketNanos;
    private final long deposit;
    private final long reserve;
    private final AtomicReferenceArray<Bucket> buckets = new AtomicReferenceArray<>(SLOTS);
    private final LongAdder requests = new LongAdder();
    private final LongAdder allowed = new LongAdder();
    private final LongAdder skipped = new LongAdder();

    /** The tokens deposited (positive) and withdrawn (negative) during one bucket's time. */
    private static final class Bucket {
        final long epoch;
        final AtomicLong tokens = new AtomicLong();

        Bucket(long epoch) {
            this.epoch = epoch;
        }
    }

    public RateRetryBudget(RetryBudgetPolicy.Rate policy) {
        this.policy = policy;
        long ttlNanos = policy.ttl().toNanos();
        this.bucketNanos = ttlNanos / WINDOWS;
        this.deposit = Math.round(policy.retryRatio() * UNIT);
        long reserveUnits;
        try {
            // minRetriesPerSecond × ttl seconds × UNIT, in whole units.
            reserveUnits = Math.multiplyExact((long) policy.minRetriesPerSecond(), ttlNanos) / (1_000_000_000L / UNIT);
        } catch (ArithmeticException overflow) {
            reserveUnits = Long.MAX_VALUE / 4; // effectively unlimited, with room left to add deposits
        }
        this.reserve = reserveUnits;
    }

    @Override
    public RetryBudgetPolicy.Rate policy() {
        return policy;
    }

    /** Deposits {@code retryRatio} tokens for one request (not a retry). */
    @Override
    public void requestStarted(long nowNanos) {
        requests.increment();
        if (deposit != 0) {
            bucket(nowNanos).tokens.addAndGet(deposit);
        }
    }

    /** Withdraws one token for a retry if the budget has it; counts the retry or the skip. */
    public boolean tryWithdraw(long nowNanos) {
        Bucket bucket = bucket(nowNanos);
        bucket.tokens.addAndGet(-UNIT);
        if (balanceUnits(nowNanos) >= 0) {
            allowed.increment();
            return true;
        }
        bucket.tokens.addAndGet(UNIT);
        skipped.increment();
        return false;
    }

    /** A withdrawal: there is nothing to give back when the retry ends. */
    @Override
    public Permit tryStartRetry(long activeRequests, long nowNanos) {
        return tryWithdraw(nowNanos) ? Permit.UNCOUNTED : Permit.DENIED;
    }

    /** Tokens available now: the reserve plus what is deposited minus what is withdrawn, still counting. */
    public double balance(long nowNanos) {
        return (double) balanceUnits(nowNanos) / UNIT;
    }

    /** Requests recorded since the budget was made. */
    public long requests() {
        return requests.sum();
    }

    @Override
    public long retriesAllowed() {
        return allowed.sum();
    }

    @Override
    public long retriesSkipped() {
        return skipped.sum();
    }

    private long balanceUnits(long nowNanos) {
        long oldest = epoch(nowNanos) - WINDOWS;
        long sum = reserve;
        for (int i = 0; i < SLOTS; i++) {
            Bucket bucket = buckets.get(i);
            if (bucket != null && bucket.epoch >= oldest) {
                sum += bucket.tokens.get();
            }
        }
        return sum;
    }

    /** The bucket for {@code nowNanos}, replacing the one of the same slot if it has expired. */
    private Bucket bucket(long nowNanos) {
        long epoch = epoch(nowNanos);
        int slot = (int) Math.floorMod(epoch, (long) SLOTS);
        for (;;) {
            Bucket bucket = buckets.get(slot);
            // A bucket newer than now comes from a caller that read the clock later: using it
            // makes the token count a little longer, which is harmless.
            if (bucket != null && bucket.epoch >= epoch) {
                return bucket;
            }
            Bucket fresh = new Bucket(epoch);
            if (buckets.compareAndSet(slot, bucket, fresh)) {
                return fresh;
            }
        }
    }

    private long epoch(long nowNanos) {
        return Math.floorDiv(nowNanos, bucketNanos);
    }

    @Override
    public String toString() {
        return "RateRetryBudget[" + policy + "]";
    }
}
