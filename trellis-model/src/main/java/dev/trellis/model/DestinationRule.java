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
}
