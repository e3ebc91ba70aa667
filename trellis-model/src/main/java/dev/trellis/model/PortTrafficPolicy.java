package dev.trellis.model;

import java.util.Objects;
import java.util.Optional;

/**
 * One entry of Istio's {@code portLevelSettings}: the policy for traffic to one port. It replaces
 * the policy it is part of for that port: what it leaves unset takes the defaults, not that policy's.
 */
public record PortTrafficPolicy(int port, Optional<LoadBalancerSettings> loadBalancer,
        Optional<ConnectionPool> connectionPool, Optional<OutlierDetection> outlierDetection) {
    public PortTrafficPolicy {
        Objects.requireNonNull(loadBalancer, "loadBalancer");
        Objects.requireNonNull(connectionPool, "connectionPool");
        Objects.requireNonNull(outlierDetection, "outlierDetection");
    }
}
