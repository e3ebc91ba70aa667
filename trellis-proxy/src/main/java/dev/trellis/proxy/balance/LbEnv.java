package dev.trellis.proxy.balance;

import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Where balancers get the time and their random numbers: the system's in production, a fake clock
 * and a seeded generator in tests, so that distribution tests are exact and need no sleeping.
 *
 * @param nanoClock a monotonic clock in nanoseconds, {@link System#nanoTime()} in production;
 *     latencies given to {@link Balancer#record} are read on the same clock
 * @param random the generator for the calling thread; it must be safe to use from that thread
 */
record LbEnv(LongSupplier nanoClock, Supplier<RandomGenerator> random) {
    static final LbEnv SYSTEM = new LbEnv(System::nanoTime, ThreadLocalRandom::current);

    LbEnv {
        Objects.requireNonNull(nanoClock, "nanoClock");
        Objects.requireNonNull(random, "random");
    }

    static LbEnv withClock(LongSupplier nanoClock) {
        return new LbEnv(nanoClock, ThreadLocalRandom::current);
    }
}
