package dev.trellis.proxy.balance;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the balancers remember of one endpoint between picks: when it was first seen (for warm-up)
 * and its round-trip-time estimate (for peak-EWMA). It hangs off the {@link Endpoint}, not off a
 * balancer, because balancers are rebuilt on every configuration and health change while the
 * endpoint object is carried over; so a reload neither restarts a warm-up nor forgets latencies.
 * Shared by all event loops: written by compare-and-set only.
 */
final class EndpointStats {
    /** {@link #firstSeen} before any balancer saw the endpoint. */
    static final long UNSEEN = Long.MIN_VALUE;
    /** {@link #firstSeen} of an endpoint that never warms up: it came with its cluster's first set. */
    static final long ALWAYS_WARM = Long.MIN_VALUE + 1;

    /** The balancer clock's reading when a balancer first saw the endpoint, or a sentinel above. */
    final AtomicLong firstSeen = new AtomicLong(UNSEEN);

    /** The latest RTT estimate; null until a peak-EWMA balancer first sees the endpoint. */
    final AtomicReference<Rtt> rtt = new AtomicReference<>();

    /**
     * An RTT estimate as of a moment; immutable, so that estimate and moment change together.
     *
     * @param nanos the estimate at {@code stampNanos}, in nanoseconds
     * @param stampNanos the balancer clock's reading when it was made
     * @param measured false while the estimate is the default RTT, no response having been seen
     */
    record Rtt(double nanos, long stampNanos, boolean measured) {}
}
