package dev.trellis.model;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Istio's LoadBalancerSettings: the algorithm, the warm-up of new endpoints and locality-aware
 * balancing.
 *
 * @param algorithm {@code simple} or {@code consistentHash}; empty for the mesh's default (peak
 *     EWMA on HTTP ports, least request on TCP ports)
 * @param warmup how new endpoints ramp up, for round robin and least request only
 * @param locality how the caller's locality orders and weighs the endpoints; empty for Istio's
 *     default ({@link LocalityLbSetting#DEFAULT})
 */
public record LoadBalancerSettings(Optional<LoadBalancer> algorithm, Optional<Warmup> warmup,
        Optional<LocalityLbSetting> locality) {
    public static final LoadBalancerSettings NONE = new LoadBalancerSettings(Optional.empty(), Optional.empty(), Optional.empty());

    public LoadBalancerSettings {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(warmup, "warmup");
        Objects.requireNonNull(locality, "locality");
    }

    /** Settings of an algorithm alone. */
    public static LoadBalancerSettings of(LoadBalancer algorithm) {
        return new LoadBalancerSettings(Optional.of(algorithm), Optional.empty(), Optional.empty());
    }

    /**
     * Istio's {@code warmup} (or the older {@code warmupDurationSecs}, which is a warm-up with the
     * defaults): Envoy's slow start.
     *
     * @param duration how long a new endpoint's weight ramps up to full
     * @param minimumPercent the least share of its weight a warming endpoint gets, 0..100 (default 10)
     * @param aggression how the ramp bends: weight × timeFactor^(1/aggression), above 0 (default 1, linear)
     */
    public record Warmup(Duration duration, double minimumPercent, double aggression) {
        public static final double DEFAULT_MINIMUM_PERCENT = 10;
        public static final double DEFAULT_AGGRESSION = 1;

        public Warmup {
            Objects.requireNonNull(duration, "duration");
        }

        /** {@code warmupDurationSecs}: a linear ramp from 10%. */
        public static Warmup of(Duration duration) {
            return new Warmup(duration, DEFAULT_MINIMUM_PERCENT, DEFAULT_AGGRESSION);
        }
    }
}
