package dev.trellis.proxy.xds;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * How long to wait before the next attempt to reach a control plane: exponential backoff with full
 * jitter (a random wait between zero and the current ceiling, which doubles from {@code initial}
 * up to {@code max}), so that proxies cut off together do not all come back together. Not thread
 * safe: the ADS client uses it from its one executor.
 */
public final class Backoff {
    private final long initialMillis;
    private final long maxMillis;
    private final RandomGenerator random;
    private int attempts;

    /**
     * @param initial the first ceiling (200 ms by default)
     * @param max the largest ceiling (5 s by default)
     */
    public Backoff(Duration initial, Duration max, RandomGenerator random) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff: initial " + initial + ", max " + max
                    + " (expected: 0 < initial <= max)");
        }
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
        this.random = random;
    }

    public static Backoff defaults() {
        return new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5), RandomGenerator.getDefault());
    }

    /** The wait before the next attempt, in milliseconds, uniform in [0, ceiling]; the ceiling then doubles. */
    public long nextDelayMillis() {
        long delay = random.nextLong(ceilingMillis() + 1);
        attempts = Math.min(attempts + 1, 30);
        return delay;
    }

    /** The ceiling the next call to {@link #nextDelayMillis()} draws under. */
    long ceilingMillis() {
        return attempts >= 30 ? maxMillis : Math.min(maxMillis, initialMillis << attempts);
    }

    /** Back to the first ceiling, after a stream that worked. */
    public void reset() {
        attempts = 0;
    }
}
