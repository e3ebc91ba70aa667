package dev.trellis.proxy.telemetry;

import java.util.concurrent.atomic.LongAdder;

/** A cumulative histogram of request durations in milliseconds, with Istio's bucket bounds. */
public final class LatencyHistogram {
    /** Upper bounds in milliseconds, as Istio's istio_request_duration_milliseconds. */
    static final double[] BOUNDS = {
        0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000
    };

    private final LongAdder[] counts = new LongAdder[BOUNDS.length + 1];
    private final LongAdder sumMicros = new LongAdder();

    LatencyHistogram() {
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    public void record(long nanos) {
        double millis = nanos / 1e6;
        int i = 0;
        while (i < BOUNDS.length && millis > BOUNDS[i]) {
            i++;
        }
        counts[i].increment();
        sumMicros.add(nanos / 1000);
    }

    /** Count of observations at or below each bound; the last entry is the total ({@code +Inf}). */
    long[] cumulativeCounts() {
        long[] out = new long[counts.length];
        long running = 0;
        for (int i = 0; i < counts.length; i++) {
            running += counts[i].sum();
            out[i] = running;
        }
        return out;
    }

    double sumMillis() {
        return sumMicros.sum() / 1000.0;
    }
}
