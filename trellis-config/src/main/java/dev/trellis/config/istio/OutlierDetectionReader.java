package dev.trellis.config.istio;

import dev.trellis.config.internal.Durations;
import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Node;
import dev.trellis.model.OutlierDetection;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Reads a trafficPolicy's {@code outlierDetection}, keeping which fields are set: Istio fills
 * Envoy's outlier detection from those alone.
 *
 * <p>The deprecated {@code consecutiveErrors} is refused when it is not 0. Istio (since 1.7,
 * istio/istio#24087) accepts it with a warning and otherwise ignores it, so it configures nothing;
 * Trellis, which has no warnings and ignores no setting silently, says so as a problem.
 */
final class OutlierDetectionReader {
    private static final Fields OUTLIER = Fields.of("consecutive5xxErrors", "consecutiveGatewayErrors",
            "splitExternalLocalOriginErrors", "consecutiveLocalOriginFailures", "interval", "baseEjectionTime",
            "maxEjectionPercent", "minHealthPercent", "consecutiveErrors");
    private OutlierDetectionReader() {}

    static Optional<OutlierDetection> read(Node outlier) {
        if (!outlier.isObject(OUTLIER)) {
            return Optional.empty();
        }
        Node deprecated = outlier.get("consecutiveErrors");
        if (deprecated.integer(Integer.MIN_VALUE, Integer.MAX_VALUE).orElse(0) != 0) {
            deprecated.report(deprecated.given() + " is deprecated and has no effect, as in Istio since 1.7"
                    + " (expected: consecutive5xxErrors or consecutiveGatewayErrors)");
        }
        boolean split = outlier.get("splitExternalLocalOriginErrors").bool().orElse(false);
        Node localNode = outlier.get("consecutiveLocalOriginFailures");
        int local = localNode.integer(0, Integer.MAX_VALUE).orElse(0);
        if (local > 0 && !split) {
            localNode.report(local + " while splitExternalLocalOriginErrors is false, as Istio refuses"
                    + " (expected: splitExternalLocalOriginErrors: true beside it)");
        }
        return Optional.of(new OutlierDetection(
                count(outlier.get("consecutive5xxErrors")),
                count(outlier.get("consecutiveGatewayErrors")),
                split,
                local,
                Durations.millis(outlier.get("interval")),
                Durations.millis(outlier.get("baseEjectionTime")),
                outlier.get("maxEjectionPercent").integer(0, 100).orElse(0),
                outlier.get("minHealthPercent").integer(0, 100).orElse(0)));
    }

    private static OptionalInt count(Node n) {
        return n.integer(0, Integer.MAX_VALUE);
    }
}
