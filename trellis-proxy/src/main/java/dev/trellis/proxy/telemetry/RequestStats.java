package dev.trellis.proxy.telemetry;

import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Request counts by response code and a latency histogram for one set of labels (reporter,
 * route, destination). Shared by every thread; recording takes no lock.
 */
public final class RequestStats {
    private final Map<String, String> labels;
    private final AtomicReferenceArray<LongAdder> byCode = new AtomicReferenceArray<>(600);
    private final LatencyHistogram duration = new LatencyHistogram();

    RequestStats(Map<String, String> labels) {
        this.labels = labels;
    }

    /** Records one finished request: its response code (0 when none was sent) and duration. */
    public void record(int code, long nanos) {
        int i = code >= 0 && code < 600 ? code : 0;
        LongAdder counter = byCode.get(i);
        if (counter == null) {
            byCode.compareAndSet(i, null, new LongAdder());
            counter = byCode.get(i);
        }
        counter.increment();
        duration.record(nanos);
    }

    Map<String, String> labels() {
        return labels;
    }

    long count(int code) {
        LongAdder counter = byCode.get(code);
        return counter == null ? 0 : counter.sum();
    }

    LatencyHistogram duration() {
        return duration;
    }
}
