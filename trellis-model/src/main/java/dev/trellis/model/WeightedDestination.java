package dev.trellis.model;

import java.util.Objects;

/**
 * A destination with its share of a route's traffic.
 *
 * @param weight share of requests, 0..100; the weights of one route add up to 100
 * @param requestHeaders mutations of the request when it goes to this destination
 * @param responseHeaders mutations of the response when it comes from this destination
 */
public record WeightedDestination(
        RouteDestination destination, int weight, HeaderOps requestHeaders, HeaderOps responseHeaders) {
    public WeightedDestination {
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(requestHeaders, "requestHeaders");
        Objects.requireNonNull(responseHeaders, "responseHeaders");
        if (weight < 0 || weight > 100) {
            throw new IllegalArgumentException("weight: " + weight + " (expected: 0..100)");
        }
    }
}
