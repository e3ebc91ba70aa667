package dev.trellis.proxy.resilience;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * When to eject an endpoint from its cluster's balancing and for how long: Envoy's {@code
 * Cluster.outlier_detection} with the consecutive-error detectors Istio's DestinationRule {@code
 * outlierDetection} configures. A threshold of 0 turns its detector off. The {@link #builder()}
 * starts from what Istio sends Envoy when {@code outlierDetection} is present.
 *
 * @param consecutive5xxErrors 5xx responses in a row that eject; Istio's default 5
 * @param consecutiveGatewayErrors 502, 503 or 504 responses in a row that eject; off by default
 * @param splitExternalLocalOriginErrors whether connect failures, resets and timeouts are counted
 *     apart, by {@code consecutiveLocalOriginFailures}, rather than as 503/504 responses
 * @param consecutiveLocalOriginFailures local-origin failures in a row that eject; must be 0
 *     unless {@code splitExternalLocalOriginErrors} (5 by default when it is)
 * @param interval how often the owner calls {@link OutlierDetector#tick(long)}: returns ejected
 *     endpoints whose time is up and decays ejection multipliers; 10s by default
 * @param baseEjectionTime the first ejection's length; later ones last this times the ejection
 *     multiplier; 30s by default
 * @param maxEjectionTime the cap on an ejection's length; by default the larger of 300s and {@code
 *     baseEjectionTime}
 * @param maxEjectionPercent the share of the cluster's endpoints that may be ejected at once,
 *     0..100; 10 by default
 * @param alwaysEjectOneHost whether the first ejection is allowed whatever {@code
 *     maxEjectionPercent} says (Envoy's {@code always_eject_one_host}); true by default, so that a
 *     small cluster can eject its failing endpoint, as Envoy did for all clusters before 1.27
 * @param minHealthPercent below this share of non-ejected endpoints, 0..100, ejections are ignored
 *     and every endpoint takes traffic (Envoy's panic threshold, which Istio sets from it); 0, the
 *     default, never ignores them
 */
public record OutlierPolicy(
        int consecutive5xxErrors,
        int consecutiveGatewayErrors,
        boolean splitExternalLocalOriginErrors,
        int consecutiveLocalOriginFailures,
        Duration interval,
        Duration baseEjectionTime,
        Duration maxEjectionTime,
        int maxEjectionPercent,
        boolean alwaysEjectOneHost,
        int minHealthPercent) {

    /** The message for Istio's deprecated {@code consecutiveErrors}, which has no effect. */
    public static final String CONSECUTIVE_ERRORS_DEPRECATED = "consecutiveErrors is deprecated and has no effect, as in"
            + " Istio since 1.7 (expected: consecutive5xxErrors or consecutiveGatewayErrors)";

    /** What Istio configures when {@code outlierDetection} is present and sets nothing. */
    public static final OutlierPolicy DEFAULT = builder().build();

    public OutlierPolicy {
        nonNegative("consecutive5xxErrors", consecutive5xxErrors);
        nonNegative("consecutiveGatewayErrors", consecutiveGatewayErrors);
        nonNegative("consecutiveLocalOriginFailures", consecutiveLocalOriginFailures);
        if (consecutiveLocalOriginFailures > 0 && !splitExternalLocalOriginErrors) {
            throw new IllegalArgumentException("consecutiveLocalOriginFailures: " + consecutiveLocalOriginFailures
                    + " (expected: 0 unless splitExternalLocalOriginErrors is true)");
        }
        positive("interval", interval);
        positive("baseEjectionTime", baseEjectionTime);
        positive("maxEjectionTime", maxEjectionTime);
        if (maxEjectionTime.compareTo(baseEjectionTime) < 0) {
            throw new IllegalArgumentException("maxEjectionTime: " + maxEjectionTime
                    + " (expected: >= baseEjectionTime " + baseEjectionTime + ")");
        }
        percent("maxEjectionPercent", maxEjectionPercent);
        percent("minHealthPercent", minHealthPercent);
    }

    public static Builder builder() {
        return new Builder();
    }

    private static void nonNegative(String name, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= 0, 0 to disable)");
        }
    }

    private static void percent(String name, int value) {
        if (value < 0 || value > 100) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: 0..100)");
        }
    }

    private static void positive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
        try {
            value.toNanos();
        } catch (ArithmeticException tooLong) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: < 292 years)");
        }
    }

    /** Starts from Istio's defaults; see the record's parameters. */
    public static final class Builder {
        private int consecutive5xxErrors = 5;
        private int consecutiveGatewayErrors;
        private boolean splitExternalLocalOriginErrors;
        private Integer consecutiveLocalOriginFailures;
        private Duration interval = Duration.ofSeconds(10);
        private Duration baseEjectionTime = Duration.ofSeconds(30);
        private Duration maxEjectionTime;
        private int maxEjectionPercent = 10;
        private boolean alwaysEjectOneHost = true;
        private int minHealthPercent;
        private final List<String> warnings = new ArrayList<>();

        private Builder() {}

        public Builder consecutive5xxErrors(int consecutive5xxErrors) {
            this.consecutive5xxErrors = consecutive5xxErrors;
            return this;
        }

        public Builder consecutiveGatewayErrors(int consecutiveGatewayErrors) {
            this.consecutiveGatewayErrors = consecutiveGatewayErrors;
            return this;
        }

        public Builder splitExternalLocalOriginErrors(boolean splitExternalLocalOriginErrors) {
            this.splitExternalLocalOriginErrors = splitExternalLocalOriginErrors;
            return this;
        }

        public Builder consecutiveLocalOriginFailures(int consecutiveLocalOriginFailures) {
            this.consecutiveLocalOriginFailures = consecutiveLocalOriginFailures;
            return this;
        }

        /**
         * Istio's deprecated {@code consecutiveErrors}, read as Istio reads it today: accepted with a
         * warning ({@link #warnings()}) and otherwise ignored, so the other settings and their
         * defaults apply. (Istio 1.4 to 1.6 made it a gateway-error threshold and turned the 5xx
         * detector off; istio/istio#24087 dropped that in 1.7, and current Istio only warns.)
         */
        @Deprecated
        public Builder consecutiveErrors(int consecutiveErrors) {
            if (consecutiveErrors != 0) {
                warnings.add(CONSECUTIVE_ERRORS_DEPRECATED);
            }
            return this;
        }

        public Builder interval(Duration interval) {
            this.interval = interval;
            return this;
        }

        public Builder baseEjectionTime(Duration baseEjectionTime) {
            this.baseEjectionTime = baseEjectionTime;
            return this;
        }

        public Builder maxEjectionTime(Duration maxEjectionTime) {
            this.maxEjectionTime = maxEjectionTime;
            return this;
        }

        public Builder maxEjectionPercent(int maxEjectionPercent) {
            this.maxEjectionPercent = maxEjectionPercent;
            return this;
        }

        public Builder alwaysEjectOneHost(boolean alwaysEjectOneHost) {
            this.alwaysEjectOneHost = alwaysEjectOneHost;
            return this;
        }

        public Builder minHealthPercent(int minHealthPercent) {
            this.minHealthPercent = minHealthPercent;
            return this;
        }

        /** What the settings given so far deserve a warning for (deprecated fields), in order. */
        public List<String> warnings() {
            return List.copyOf(warnings);
        }

        /** @throws IllegalArgumentException naming the first setting out of range */
        public OutlierPolicy build() {
            int localOrigin = consecutiveLocalOriginFailures != null
                    ? consecutiveLocalOriginFailures
                    : splitExternalLocalOriginErrors ? 5 : 0;
            Duration max = maxEjectionTime;
            if (max == null) {
                Duration envoyDefault = Duration.ofSeconds(300);
                max = baseEjectionTime != null && baseEjectionTime.compareTo(envoyDefault) > 0 ? baseEjectionTime : envoyDefault;
            }
            return new OutlierPolicy(consecutive5xxErrors, consecutiveGatewayErrors, splitExternalLocalOriginErrors,
                    localOrigin, interval, baseEjectionTime, max, maxEjectionPercent, alwaysEjectOneHost, minHealthPercent);
        }
    }
}
