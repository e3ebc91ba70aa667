package dev.trellis.xds.snapshot;

import dev.trellis.model.Locality;
import java.util.Map;
import java.util.Objects;

/**
 * The client a snapshot is built for, as locality-aware balancing sees it: where it runs, and its
 * labels (for {@code failoverPriority}).
 */
record Caller(Locality locality, Map<String, String> labels) {
    /** A client that declared neither. */
    static final Caller NOWHERE = new Caller(Locality.NONE, Map.of());

    Caller {
        Objects.requireNonNull(locality, "locality");
        labels = Map.copyOf(labels);
    }
}
