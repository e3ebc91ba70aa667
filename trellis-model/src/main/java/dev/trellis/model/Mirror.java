package dev.trellis.model;

import java.util.Objects;

/**
 * A copy of a route's requests sent to another destination, its answers discarded: Istio's
 * {@code mirror} (with {@code mirrorPercentage}) or one of its {@code mirrors}.
 *
 * @param percent the share of requests copied, 0..100; 0 copies none
 */
public record Mirror(RouteDestination destination, double percent) {
    public Mirror {
        Objects.requireNonNull(destination, "destination");
        Percents.check("percent", percent);
    }
}
