package dev.trellis.proxy.telemetry;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * The resilience counters of one cluster, under the names Envoy gives them ({@code
 * envoy_cluster_upstream_rq_retry} and the rest, as Istio's sidecars expose them). Kept by
 * cluster name across config updates; shared by every thread, lock-free.
 */
public final class ClusterStats {
    private final String cluster;
    /** Retries sent. */
    final LongAdder retries = new LongAdder();
    /** Requests that succeeded on a retry. */
    final LongAdder retrySuccesses = new LongAdder();
    /** Retries not sent because the retry budget or {@code maxRetries} had no room. */
    final LongAdder retryOverflows = new LongAdder();
    /** Requests whose retries were all used up, the last try's answer returned. */
    final LongAdder retryLimitExceeded = new LongAdder();
    /** Requests answered 503 at once because {@code maxRequests} was reached. */
    final LongAdder requestOverflows = new LongAdder();
    /** Requests answered 503 at once because {@code maxPendingRequests} was reached. */
    final LongAdder pendingOverflows = new LongAdder();
    /** Connections not made because {@code maxConnections} was reached. */
    final LongAdder connectionOverflows = new LongAdder();
    /** Requests that ran out of their route timeout. */
    final LongAdder timeouts = new LongAdder();
    /** Tries that ran out of their per-try timeout. */
    final LongAdder perTryTimeouts = new LongAdder();
    /** Picks that went to a locality tier other than the caller's first. */
    final LongAdder failovers = new LongAdder();
    /** Mirrored copies sent. */
    final LongAdder mirrors = new LongAdder();
    /** Endpoints ejected by outlier detection. */
    final LongAdder ejections = new LongAdder();
    private volatile IntSupplier ejectedNow = () -> 0;

    ClusterStats(String cluster) {
        this.cluster = cluster;
    }

    public String cluster() {
        return cluster;
    }

    public void retry() {
        retries.increment();
    }

    public void retrySucceeded() {
        retrySuccesses.increment();
    }

    public void retryOverflow() {
        retryOverflows.increment();
    }

    public void retryLimitExceeded() {
        retryLimitExceeded.increment();
    }

    public void requestOverflow() {
        requestOverflows.increment();
    }

    public void pendingOverflow() {
        pendingOverflows.increment();
    }

    public void connectionOverflow() {
        connectionOverflows.increment();
    }

    public void timeout() {
        timeouts.increment();
    }

    public void perTryTimeout() {
        perTryTimeouts.increment();
    }

    public void failover() {
        failovers.increment();
    }

    public void mirrored() {
        mirrors.increment();
    }

    public void ejected() {
        ejections.increment();
    }

    /** Where the current count of ejected endpoints is read: the running cluster's detector. */
    public void ejectedNow(IntSupplier supplier) {
        ejectedNow = supplier;
    }

    int ejectedNow() {
        return ejectedNow.getAsInt();
    }
}
