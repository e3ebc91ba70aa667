package dev.trellis.model;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Istio's {@code outlierDetection}: when to eject an endpoint that keeps failing. Fields are kept
 * set or unset as written, because Istio fills Envoy's fields only from those that are set.
 *
 * @param consecutive5xxErrors 5xx responses in a row that eject (0 turns the detector off); empty
 *     for Envoy's default, 5
 * @param consecutiveGatewayErrors 502, 503 and 504 responses in a row that eject; empty or 0 for off
 * @param splitExternalLocalOriginErrors whether connect failures, resets and timeouts count apart
 * @param consecutiveLocalOriginFailures local-origin failures in a row that eject when they count
 *     apart; 0 for Envoy's default, 5
 * @param interval time between ejection sweeps; empty for 10 s
 * @param baseEjectionTime the first ejection's length; empty for 30 s
 * @param maxEjectionPercent the share of endpoints that may be ejected at once, 0..100; 0 for 10
 * @param minHealthPercent below this share of healthy endpoints, 0..100, ejections are ignored
 *     (Envoy's panic threshold); 0, the default, never ignores them
 */
public record OutlierDetection(
        OptionalInt consecutive5xxErrors,
        OptionalInt consecutiveGatewayErrors,
        boolean splitExternalLocalOriginErrors,
        int consecutiveLocalOriginFailures,
        Optional<Duration> interval,
        Optional<Duration> baseEjectionTime,
        int maxEjectionPercent,
        int minHealthPercent) {
    public OutlierDetection {
        Objects.requireNonNull(consecutive5xxErrors, "consecutive5xxErrors");
        Objects.requireNonNull(consecutiveGatewayErrors, "consecutiveGatewayErrors");
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(baseEjectionTime, "baseEjectionTime");
    }
}
