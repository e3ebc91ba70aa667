package dev.trellis.model;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Policies applied to traffic for a destination (or one subset of it): Istio's TrafficPolicy.
 * Each part is set or not as a whole; {@link DestinationRule#policyFor} merges them as Istio does.
 */
public record TrafficPolicy(
        Optional<LoadBalancerSettings> loadBalancer,
        Optional<ConnectionPool> connectionPool,
        Optional<OutlierDetection> outlierDetection,
        Optional<ConcurrentRetryBudget> retryBudget,
        List<PortTrafficPolicy> portLevelSettings) {
    public static final TrafficPolicy NONE =
            new TrafficPolicy(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), List.of());

    public TrafficPolicy {
        Objects.requireNonNull(loadBalancer, "loadBalancer");
        Objects.requireNonNull(connectionPool, "connectionPool");
        Objects.requireNonNull(outlierDetection, "outlierDetection");
        Objects.requireNonNull(retryBudget, "retryBudget");
        portLevelSettings = List.copyOf(portLevelSettings);
    }

    /** A policy of load balancing alone. */
    public static TrafficPolicy of(LoadBalancerSettings loadBalancer) {
        return new TrafficPolicy(Optional.of(loadBalancer), Optional.empty(), Optional.empty(), Optional.empty(), List.of());
    }

    /** The entry of {@code portLevelSettings} for {@code port}, if there is one (the first, as in Istio). */
    public Optional<PortTrafficPolicy> portLevel(int port) {
        return portLevelSettings.stream().filter(p -> p.port() == port).findFirst();
    }

    /**
     * This policy as it applies to {@code port} (Istio's {@code GetPortLevelTrafficPolicy}): its
     * port-level entry for the port replaces it whole, the retry budget included, since an entry
     * does not inherit; without one, this policy less its port-level settings.
     */
    public TrafficPolicy forPort(int port) {
        return portLevel(port)
                .map(p -> new TrafficPolicy(p.loadBalancer(), p.connectionPool(), p.outlierDetection(), Optional.empty(), List.of()))
                .orElseGet(() -> new TrafficPolicy(loadBalancer, connectionPool, outlierDetection, retryBudget, List.of()));
    }
}
