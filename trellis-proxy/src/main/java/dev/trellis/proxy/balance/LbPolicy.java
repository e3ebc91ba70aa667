package dev.trellis.proxy.balance;

/** How a cluster spreads requests over its endpoints: Envoy's {@code lb_policy}, and Linkerd's. */
public enum LbPolicy {
    ROUND_ROBIN,
    /** The less loaded of two random endpoints (Envoy's default choice count of 2). */
    LEAST_REQUEST,
    RANDOM,
    /** Consistent hashing on the key the route's hash policy computes. */
    RING_HASH,
    /**
     * The cheaper of two random endpoints, cost being a peak-EWMA latency estimate × (requests in
     * flight + 1): Linkerd's balancer. Envoy has no such policy; it travels as a Trellis extension.
     */
    PEAK_EWMA
}
