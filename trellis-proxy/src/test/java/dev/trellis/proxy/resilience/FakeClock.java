package dev.trellis.proxy.resilience;

import java.time.Duration;

/** A clock for tests: {@link System#nanoTime()}-like readings that move only when told to. */
final class FakeClock {
    private long nanos;

    FakeClock(long startNanos) {
        this.nanos = startNanos;
    }

    /** Starts at an arbitrary reading, as {@code nanoTime} does. */
    FakeClock() {
        this(7_123_456_789_000L);
    }

    long nanos() {
        return nanos;
    }

    long advance(Duration duration) {
        nanos += duration.toNanos();
        return nanos;
    }

    long advanceSeconds(long seconds) {
        return advance(Duration.ofSeconds(seconds));
    }
}
