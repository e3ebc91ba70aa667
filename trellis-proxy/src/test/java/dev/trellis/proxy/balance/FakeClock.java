package dev.trellis.proxy.balance;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** A nanosecond clock that moves only when told to; it starts below zero, as System.nanoTime may. */
final class FakeClock implements LongSupplier {
    private final AtomicLong now = new AtomicLong(-3_000_000_000_000L);

    @Override
    public long getAsLong() {
        return now.get();
    }

    void advance(Duration by) {
        now.addAndGet(by.toNanos());
    }

    /** An environment on this clock with a seeded generator, so that a test's picks repeat exactly. */
    LbEnv env(long seed) {
        Random random = new Random(seed); // thread-safe, unlike SplittableRandom
        return new LbEnv(this, () -> random);
    }
}
