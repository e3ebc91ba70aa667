package dev.trellis.model;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Policies for traffic to one host, and its subsets: Istio's DestinationRule. */
public record DestinationRule(Meta meta, String host, TrafficPolicy trafficPolicy, List<Subset> subsets) {
    public DestinationRule {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(trafficPolicy, "trafficPolicy");
        subsets = List.copyOf(subsets);
    }

    public Optional<Subset> subset(String name) {
        return subsets.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /**
     * The policy for traffic to {@code port} of the host, or of one of its subsets, merged as Istio
     * merges them ({@code MergeSubsetTrafficPolicy}): the rule's policy for the port, then each part
     * the subset's policy for the port sets (all its parts when the subset has a port-level entry
     * for it, which does not inherit), and the subset's retry budget when it sets one. A port-level
     * entry carries no retry budget, so where one applies, so does none from its level (as in Istio).
     */
    public TrafficPolicy policyFor(Optional<Subset> subset, int port) {
        TrafficPolicy rule = trafficPolicy.forPort(port);
        if (subset.isEmpty()) {
            return rule;
        }
        TrafficPolicy own = subset.get().trafficPolicy();
        boolean portLevel = own.portLevel(port).isPresent();
        TrafficPolicy sub = own.forPort(port);
        return new TrafficPolicy(
                portLevel || sub.loadBalancer().isPresent() ? sub.loadBalancer() : rule.loadBalancer(),
                portLevel || sub.connectionPool().isPresent() ? sub.connectionPool() : rule.connectionPool(),
                portLevel || sub.outlierDetection().isPresent() ? sub.outlierDetection() : rule.outlierDetection(),
                sub.retryBudget().isPresent() ? sub.retryBudget() : rule.retryBudget(),
                List.of());
    }
}
