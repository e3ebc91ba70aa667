package dev.trellis.proxy.telemetry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Request counts by response code and response flags, and a latency histogram, for one set of
 * labels (reporter, route, destination). Shared by every thread; recording takes no lock but the
 * first time a code and flags pair with flags is seen.
 */
public final class RequestStats {
    private final Map<String, String> labels;
    private final AtomicReferenceArray<LongAdder> byCode = new AtomicReferenceArray<>(600);
    /** Requests that ended with response flags, by code (upper 32 bits) and flags (lower). */
    private final Map<Long, LongAdder> flagged = new ConcurrentHashMap<>();
    private final LatencyHistogram duration = new LatencyHistogram();

    RequestStats(Map<String, String> labels) {
        this.labels = labels;
    }

    /** Records one finished request: its response code (0 when none was sent) and duration. */
    public void record(int code, long nanos) {
        record(code, 0, nanos);
    }

    /**
     * Records one finished request with its response flags (a bit set of the proxy's flags, 0 for
     * none): counted under its code and flags apart from those that ended with none.
     */
    public void record(int code, int flags, long nanos) {
        int i = code >= 0 && code < 600 ? code : 0;
        if (flags != 0) {
            flagged.computeIfAbsent(((long) i << 32) | (flags & 0xFFFF_FFFFL), k -> new LongAdder()).increment();
            duration.record(nanos);
            return;
        }
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

    /** Counts of flagged requests, keyed as {@code code << 32 | flags}. */
    Map<Long, LongAdder> flagged() {
        return flagged;
    }

    long count(int code) {
        LongAdder counter = byCode.get(code);
        return counter == null ? 0 : counter.sum();
    }

    LatencyHistogram duration() {
        return duration;
    }
}
