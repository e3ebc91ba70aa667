package dev.trellis.model;

import java.util.Map;
import java.util.Objects;

/** A named group of a service's endpoints, selected by labels, with its own traffic policy. */
public record Subset(String name, Map<String, String> labels, TrafficPolicy trafficPolicy) {
    public Subset {
        Objects.requireNonNull(name, "name");
        labels = Map.copyOf(labels);
        Objects.requireNonNull(trafficPolicy, "trafficPolicy");
    }

    /** True when the endpoint carries every label of this subset. */
    public boolean selects(Map<String, String> endpointLabels) {
        return endpointLabels.entrySet().containsAll(labels.entrySet());
    }
}
