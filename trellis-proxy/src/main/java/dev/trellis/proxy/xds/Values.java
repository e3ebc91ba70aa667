package dev.trellis.proxy.xds;

import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.time.Duration;
import java.util.Set;

/**
 * Reads Envoy's common value messages, durations and shares of requests, into what the proxy's
 * records hold, refusing a value they cannot: a negative duration, an unknown denominator.
 */
final class Values {
    private Values() {}

    /** The duration, or null after refusing a negative one. */
    static Duration duration(com.google.protobuf.Duration proto, String where, Refusals refusals) {
        refusals.onlyFields(proto, where, Set.of("seconds", "nanos"));
        Duration duration = Duration.ofSeconds(proto.getSeconds(), proto.getNanos());
        if (duration.isNegative()) {
            refusals.add(where, duration + " (expected: 0s or more)");
            return null;
        }
        return duration;
    }

    /**
     * The share of requests a fraction stands for, 0..100; as in Envoy, a numerator above its
     * denominator counts as all of it. 0 after refusing an unknown denominator.
     */
    static double percent(FractionalPercent fraction, String where, Refusals refusals) {
        refusals.onlyFields(fraction, where, Set.of("numerator", "denominator"));
        double perPercent = switch (fraction.getDenominator()) {
            case HUNDRED -> 1;
            case TEN_THOUSAND -> 100;
            case MILLION -> 10_000;
            default -> {
                refusals.add(where + ".denominator", fraction.getDenominator() + " (expected: HUNDRED, TEN_THOUSAND or MILLION)");
                yield Double.NaN;
            }
        };
        return Double.isNaN(perPercent) ? 0 : Math.min(100, Integer.toUnsignedLong(fraction.getNumerator()) / perPercent);
    }
}
