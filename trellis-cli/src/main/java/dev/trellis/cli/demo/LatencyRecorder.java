package dev.trellis.cli.demo;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Request latencies as a histogram with buckets 1% wide on a log scale, so memory stays fixed
 * however long the demo runs and a percentile is off by at most half a percent.
 */
final class LatencyRecorder {
    /** Buckets per factor of e: 100 makes each one about 1% wide. */
    private static final double BUCKETS_PER_E = 100;
    /** From 1 µs up to 100 s; slower requests land in the last bucket. */
    private static final int BUCKETS = (int) Math.ceil(Math.log(100_000_000) * BUCKETS_PER_E) + 1;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);

    void record(long nanos) {
        double micros = Math.max(1, nanos / 1_000.0);
        counts.incrementAndGet((int) Math.min(BUCKETS - 1, Math.log(micros) * BUCKETS_PER_E));
    }

    /**
     * The latency in milliseconds below which {@code percent} of the recorded ones fall (the
     * middle of its bucket), or NaN when nothing was recorded.
     */
    double percentileMillis(double percent) {
        long total = 0;
        long[] snapshot = new long[BUCKETS];
        for (int i = 0; i < BUCKETS; i++) {
            snapshot[i] = counts.get(i);
            total += snapshot[i];
        }
        if (total == 0) {
            return Double.NaN;
        }
        long rank = Math.max(1, (long) Math.ceil(total * percent / 100));
        long seen = 0;
        int bucket = 0;
        for (; bucket < BUCKETS - 1; bucket++) {
            seen += snapshot[bucket];
            if (seen >= rank) {
                break;
            }
        }
        return Math.exp((bucket + 0.5) / BUCKETS_PER_E) / 1_000.0;
    }
}
