package dev.trellis.model;

import java.util.Objects;
import java.util.Optional;

/** Policies applied to traffic for a destination (or one subset of it). */
public record TrafficPolicy(Optional<LoadBalancer> loadBalancer) {
    public static final TrafficPolicy NONE = new TrafficPolicy(Optional.empty());

    public TrafficPolicy {
        Objects.requireNonNull(loadBalancer, "loadBalancer");
    }

    /** This policy with unset fields taken from {@code parent}, as a subset inherits its rule's. */
    public TrafficPolicy orElse(TrafficPolicy parent) {
        return new TrafficPolicy(loadBalancer.or(parent::loadBalancer));
    }
}
