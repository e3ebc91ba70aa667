package dev.trellis.bench.load;

/**
 * When each request of a fixed-rate run is meant to start: request {@code i} at {@code i / rate}
 * seconds after the start, each computed from the start alone, so no rounding adds up over a run
 * whatever the rate. A request that goes out late keeps its intended time; that is what makes a
 * stall count against every request it holds back (no coordinated omission).
 *
 * @param perSecond requests per second, 1 to {@link #MAX_RATE}
 */
record Schedule(long perSecond) {
    static final long MAX_RATE = 1_000_000;
    /** The longest run (warm-up included) whose offsets {@code i * 1e9} and {@code offset * rate} fit a long. */
    static final long MAX_RUN_NANOS = 3_600_000_000_000L;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    Schedule {
        if (perSecond < 1 || perSecond > MAX_RATE) {
            throw new IllegalArgumentException("rate: " + perSecond + " (expected: 1.." + MAX_RATE + " requests/s)");
        }
    }

    /** Nanoseconds from the start to the intended start of request {@code index} (0 for the first). */
    long offsetNanos(long index) {
        return index * NANOS_PER_SECOND / perSecond;
    }

    /** How many requests are meant to start in the first {@code offsetNanos} of the run. */
    long countBefore(long offsetNanos) {
        if (offsetNanos < 0 || offsetNanos > MAX_RUN_NANOS) {
            throw new IllegalArgumentException("offset: " + offsetNanos + " ns (expected: 0.." + MAX_RUN_NANOS + ")");
        }
        // The i with i * 1e9 / rate < offset, rounded down or not: i < offset * rate / 1e9.
        return (offsetNanos * perSecond + NANOS_PER_SECOND - 1) / NANOS_PER_SECOND;
    }
}
