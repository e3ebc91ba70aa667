package dev.trellis.proxy.balance;

import java.time.Duration;
import java.util.Objects;

/**
 * The tunables of a cluster's balancing, apart from its algorithm ({@link LbPolicy}): warm-up
 * (Istio's {@code warmupDurationSecs}, Envoy's slow start), peak-EWMA's latency estimate
 * (linkerd2-proxy's defaults) and the health arithmetic of priority tiers (Envoy's
 * overprovisioning factor and panic threshold).
 *
 * @param warmup how long a new endpoint's weight ramps up to full; zero for no warm-up. Applies to
 *     {@link LbPolicy#ROUND_ROBIN} and {@link LbPolicy#LEAST_REQUEST} only, as in Envoy and Istio
 * @param warmupAggression how the ramp bends: weight × timeFactor^(1/aggression); 1.0 is linear
 * @param warmupMinWeightPercent the least share of its weight a warming endpoint gets, in percent
 *     (Envoy's {@code min_weight_percent}, Istio's {@code minimumPercent}; default 10)
 * @param ewmaDecay the time constant of peak-EWMA's decay (linkerd2-proxy: 10 s)
 * @param ewmaDefaultRtt the RTT assumed of an endpoint not measured yet (linkerd2-proxy: 30 ms)
 * @param overprovisioningFactor how much spare capacity a tier is assumed to have: a tier whose
 *     healthy share is h takes min(1, factor × h) of the traffic (Envoy's default 1.4)
 * @param panicThresholdPercent below this percentage of healthy endpoints, a tier balances over all
 *     its endpoints, healthy or not, when the tiers together are short of healthy ones (Envoy's
 *     {@code healthy_panic_threshold}, set from Istio's {@code minHealthPercent}; 0 disables panic,
 *     Istio's default)
 */
public record LbSettings(
        Duration warmup,
        double warmupAggression,
        double warmupMinWeightPercent,
        Duration ewmaDecay,
        Duration ewmaDefaultRtt,
        double overprovisioningFactor,
        double panicThresholdPercent) {

    /** No warm-up; linkerd2-proxy's EWMA; Envoy's overprovisioning; Istio's (disabled) panic. */
    public static final LbSettings DEFAULTS = new LbSettings(
            Duration.ZERO, 1.0, 10.0, Duration.ofSeconds(10), Duration.ofMillis(30), 1.4, 0.0);

    public LbSettings {
        Objects.requireNonNull(warmup, "warmup");
        Objects.requireNonNull(ewmaDecay, "ewmaDecay");
        Objects.requireNonNull(ewmaDefaultRtt, "ewmaDefaultRtt");
        if (warmup.isNegative()) {
            throw new IllegalArgumentException("warmup: " + warmup + " (expected: >= 0)");
        }
        if (!(warmupAggression > 0) || Double.isInfinite(warmupAggression)) {
            throw new IllegalArgumentException("warmupAggression: " + warmupAggression + " (expected: > 0)");
        }
        if (!(warmupMinWeightPercent >= 0 && warmupMinWeightPercent <= 100)) {
            throw new IllegalArgumentException("warmupMinWeightPercent: " + warmupMinWeightPercent + " (expected: 0..100)");
        }
        if (ewmaDecay.isNegative() || ewmaDecay.isZero()) {
            throw new IllegalArgumentException("ewmaDecay: " + ewmaDecay + " (expected: > 0)");
        }
        if (ewmaDefaultRtt.isNegative() || ewmaDefaultRtt.isZero()) {
            throw new IllegalArgumentException("ewmaDefaultRtt: " + ewmaDefaultRtt + " (expected: > 0)");
        }
        if (!(overprovisioningFactor >= 1) || Double.isInfinite(overprovisioningFactor)) {
            throw new IllegalArgumentException("overprovisioningFactor: " + overprovisioningFactor + " (expected: >= 1)");
        }
        if (!(panicThresholdPercent >= 0 && panicThresholdPercent <= 100)) {
            throw new IllegalArgumentException("panicThresholdPercent: " + panicThresholdPercent + " (expected: 0..100)");
        }
    }

    /** These settings with a linear warm-up of {@code window} (Istio's {@code warmupDurationSecs}). */
    public LbSettings withWarmup(Duration window) {
        return new LbSettings(window, warmupAggression, warmupMinWeightPercent, ewmaDecay, ewmaDefaultRtt,
                overprovisioningFactor, panicThresholdPercent);
    }

    /** These settings with Istio's {@code warmup} block: its duration, minimum percent and aggression. */
    public LbSettings withWarmup(Duration window, double minWeightPercent, double aggression) {
        return new LbSettings(window, aggression, minWeightPercent, ewmaDecay, ewmaDefaultRtt,
                overprovisioningFactor, panicThresholdPercent);
    }

    public LbSettings withEwma(Duration decay, Duration defaultRtt) {
        return new LbSettings(warmup, warmupAggression, warmupMinWeightPercent, decay, defaultRtt,
                overprovisioningFactor, panicThresholdPercent);
    }

    public LbSettings withOverprovisioningFactor(double factor) {
        return new LbSettings(warmup, warmupAggression, warmupMinWeightPercent, ewmaDecay, ewmaDefaultRtt,
                factor, panicThresholdPercent);
    }

    public LbSettings withPanicThresholdPercent(double percent) {
        return new LbSettings(warmup, warmupAggression, warmupMinWeightPercent, ewmaDecay, ewmaDefaultRtt,
                overprovisioningFactor, percent);
    }
}
