package dev.trellis.bench.load;

import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * What a run counted: the latency of every answered request of the recorded part, from its
 * intended start (nanoseconds, three significant digits), and how many of its requests were
 * answered, answered with another status than 200, or failed; the warm-up only as counts. Written
 * by the client's one event-loop thread, read once it has finished.
 */
final class Results {
    private final Histogram latencies = new Histogram(3);
    private final long scheduled;
    private final long durationNanos;
    private long answered;
    private long non200;
    private long failed;
    private long warmupAnswered;
    private long warmupErrors;
    private long connectFailures;
    private long lastAnswerOffsetNanos;

    /**
     * @param scheduled     the requests meant to start in the recorded part
     * @param durationNanos how long the recorded part is
     */
    Results(long scheduled, long durationNanos) {
        this.scheduled = scheduled;
        this.durationNanos = durationNanos;
    }

    /**
     * A whole response to a request.
     *
     * @param latencyNanos        from the request's intended start to the end of its response
     * @param recordedOffsetNanos when it came, from the start of the recorded part
     */
    void answered(boolean recorded, int status, long latencyNanos, long recordedOffsetNanos) {
        if (!recorded) {
            warmupAnswered++;
            if (status != 200) {
                warmupErrors++;
            }
            return;
        }
        answered++;
        if (status != 200) {
            non200++;
        }
        latencies.recordValue(Math.max(0, latencyNanos));
        lastAnswerOffsetNanos = Math.max(lastAnswerOffsetNanos, recordedOffsetNanos);
    }

    /** A request that got no whole response: its connection closed or broke, it timed out, or it never went out. */
    void failed(boolean recorded) {
        if (recorded) {
            failed++;
        } else {
            warmupErrors++;
        }
    }

    /** A connection that could not be (re)opened during the run. */
    void connectFailed() {
        connectFailures++;
    }

    long scheduled() {
        return scheduled;
    }

    long answered() {
        return answered;
    }

    long non200() {
        return non200;
    }

    long failed() {
        return failed;
    }

    long warmupAnswered() {
        return warmupAnswered;
    }

    long warmupErrors() {
        return warmupErrors;
    }

    /** The recorded latencies, in nanoseconds. */
    Histogram latencies() {
        return latencies;
    }

    /**
     * Answers per second over the recorded part: over its duration, or until its last answer came
     * if that was later (a target that fell behind).
     */
    double achievedRate() {
        return answered * 1e9 / Math.max(durationNanos, lastAnswerOffsetNanos);
    }

    /** The machine-readable last line of a run. */
    String resultLine(LoadOptions options) {
        return String.format(Locale.ROOT,
                "result rate=%d connections=%d warmup_s=%.3f duration_s=%.3f scheduled=%d answered=%d non_200=%d"
                        + " failed=%d errors=%d warmup_answered=%d warmup_errors=%d connect_failures=%d"
                        + " p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f achieved_rps=%.1f",
                options.rate().perSecond(), options.connections(), options.warmupNanos() / 1e9,
                options.durationNanos() / 1e9, scheduled, answered, non200, failed, non200 + failed, warmupAnswered,
                warmupErrors, connectFailures, millis(50), millis(99), millis(99.9), latencies.getMaxValue() / 1e6,
                achievedRate());
    }

    private double millis(double percentile) {
        return latencies.getValueAtPercentile(percentile) / 1e6;
    }
}
