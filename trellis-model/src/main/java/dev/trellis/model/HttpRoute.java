package dev.trellis.model;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One HTTP route of a {@link VirtualService}: the first route whose matches accept a request
 * decides where it goes.
 *
 * @param name the route's name, used in metrics; {@code <virtual-service>.<index>} when unnamed
 * @param matches conditions, any of which selects this route; empty matches every request
 * @param destinations weighted destinations, weights adding up to 100
 * @param policy timeout, retries, fault and mirrors
 */
public record HttpRoute(
        String name,
        List<RouteMatch> matches,
        List<WeightedDestination> destinations,
        HeaderOps requestHeaders,
        HeaderOps responseHeaders,
        Optional<Rewrite> rewrite,
        RoutePolicy policy) {
    public HttpRoute {
        Objects.requireNonNull(name, "name");
        matches = List.copyOf(matches);
        destinations = List.copyOf(destinations);
        Objects.requireNonNull(requestHeaders, "requestHeaders");
        Objects.requireNonNull(responseHeaders, "responseHeaders");
        Objects.requireNonNull(rewrite, "rewrite");
        Objects.requireNonNull(policy, "policy");
        if (destinations.isEmpty()) {
            throw new IllegalArgumentException("route " + name + ": no destination");
        }
    }
}
