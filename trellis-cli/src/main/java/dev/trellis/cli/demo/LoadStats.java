package dev.trellis.cli.demo;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the load saw, recorded by many threads at once: which backend answered each request (its
 * {@code x-served-by} header), what went wrong with the others, and how long each took.
 */
public final class LoadStats {
    /** A backend name for 2xx answers that did not say who served them. */
    public static final String UNKNOWN_SERVER = "(no x-served-by)";

    private final Map<String, LongAdder> servedBy = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final LatencyRecorder latency = new LatencyRecorder();

    /** The counts at one moment; subtract two to get what happened between them. */
    public record Counts(Map<String, Long> servedBy, Map<String, Long> errors) {
        public Counts {
            servedBy = Map.copyOf(servedBy);
            errors = Map.copyOf(errors);
        }

        public long served(String server) {
            return servedBy.getOrDefault(server, 0L);
        }

        public long succeeded() {
            return servedBy.values().stream().mapToLong(Long::longValue).sum();
        }

        public long failed() {
            return errors.values().stream().mapToLong(Long::longValue).sum();
        }

        public long total() {
            return succeeded() + failed();
        }

        public Counts minus(Counts earlier) {
            return new Counts(subtract(servedBy, earlier.servedBy), subtract(errors, earlier.errors));
        }

        private static Map<String, Long> subtract(Map<String, Long> now, Map<String, Long> then) {
            Map<String, Long> difference = new TreeMap<>();
            now.forEach((key, n) -> difference.put(key, n - then.getOrDefault(key, 0L)));
            return difference;
        }
    }

    /** A 2xx answer from {@code server}. */
    void served(String server, long nanos) {
        servedBy.computeIfAbsent(server, k -> new LongAdder()).increment();
        latency.record(nanos);
    }

    /** A request that failed, by kind ("HTTP 503", "timeout", ...). */
    void failed(String kind) {
        errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    public Counts counts() {
        return new Counts(sum(servedBy), sum(errors));
    }

    /** Latency of successful requests, in milliseconds; NaN when there were none. */
    public double percentileMillis(double percent) {
        return latency.percentileMillis(percent);
    }

    private static Map<String, Long> sum(Map<String, LongAdder> adders) {
        Map<String, Long> sums = new TreeMap<>();
        adders.forEach((key, adder) -> sums.put(key, adder.sum()));
        return sums;
    }
}
