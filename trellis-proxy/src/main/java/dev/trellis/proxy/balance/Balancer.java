package dev.trellis.proxy.balance;

import java.util.List;

/**
 * Picks one endpoint of a cluster for a request. Implementations are safe to call from every
 * event loop at once and take no lock.
 */
public interface Balancer {
    /** The chosen endpoint, or null when the cluster has none (or, for a {@link TieredBalancer}, none healthy). */
    Endpoint pick(PickContext request);

    /**
     * Reports that a request to {@code endpoint} completed, for balancers that weigh latency
     * ({@link LbPolicy#PEAK_EWMA}); others ignore it. Call it once per attempt when the response's
     * head arrives or the attempt fails (Linkerd measures to the response head), from any thread.
     *
     * @param latencyNanos from sending the request to that moment, in nanoseconds
     * @param nowNanos that moment on the balancer's clock ({@link System#nanoTime()} unless one was given)
     */
    default void record(Endpoint endpoint, long latencyNanos, long nowNanos) {}

    /** A balancer over all of {@code endpoints}, with the default settings (no warm-up). */
    static Balancer create(LbPolicy policy, List<Endpoint> endpoints) {
        return create(policy, endpoints, LbSettings.DEFAULTS);
    }

    /**
     * A balancer over all of {@code endpoints}, healthy or not. For locality tiers and for leaving
     * out ejected endpoints, build a {@link TieredBalancer}.
     */
    static Balancer create(LbPolicy policy, List<Endpoint> endpoints, LbSettings settings) {
        return Balancers.create(policy, endpoints, settings, LbEnv.SYSTEM);
    }
}
