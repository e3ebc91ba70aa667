package dev.trellis.proxy.resilience;

import dev.trellis.proxy.balance.Endpoint;
import java.time.Duration;

/**
 * Told when the outlier detector ejects or returns an endpoint: for logs, metrics, or a balancer
 * that rebuilds its picker. Called on the thread that caused the change (an event loop reporting a
 * result, or whoever calls {@code tick}), after the change is visible; several threads may call at
 * once, so an implementation needing the exact current set reads {@code ejectedEndpoints()} rather
 * than tracking events. Must be quick and must not block; an exception it throws is logged and
 * otherwise ignored.
 */
public interface OutlierListener {
    OutlierListener NONE = new OutlierListener() {};

    /**
     * @param ejectionTime how long the endpoint stays out: {@code baseEjectionTime} times its
     *     ejection multiplier, capped at {@code maxEjectionTime}
     */
    default void onEjected(Endpoint endpoint, EjectionReason reason, Duration ejectionTime) {}

    default void onUnejected(Endpoint endpoint) {}
}
