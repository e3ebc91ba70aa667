package dev.trellis.model;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Where a route sends requests: a service host (fully qualified), optionally one subset of its
 * endpoints (defined by a {@link DestinationRule}) and a port, needed when the service has several.
 */
public record RouteDestination(String host, Optional<String> subset, OptionalInt port) {
    public RouteDestination {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(subset, "subset");
        Objects.requireNonNull(port, "port");
    }
}
