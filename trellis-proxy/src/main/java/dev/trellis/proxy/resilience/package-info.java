/**
 * Cluster-wide resilience state shared by every event loop: the circuit breaker's counters, the
 * retry budgets and the outlier detector. Each mechanism takes an immutable, validated policy
 * record; none has threads or timers of its own (time comes in as {@code long nowNanos} from
 * {@link System#nanoTime()}), and none takes a lock on the per-request path.
 */
package dev.trellis.proxy.resilience;
