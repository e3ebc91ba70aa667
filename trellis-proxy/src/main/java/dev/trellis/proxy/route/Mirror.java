package dev.trellis.proxy.route;

import java.util.Objects;

/**
 * A copy of a route's requests sent to another cluster, its answers discarded: Envoy's {@code
 * request_mirror_policies}, Istio's {@code mirror}/{@code mirrors} with {@code mirrorPercentage}.
 *
 * @param percent the share of requests copied, 0..100
 */
public record Mirror(String cluster, double percent) {
    public Mirror {
        Objects.requireNonNull(cluster, "cluster");
        Percent.check(percent);
    }
}
