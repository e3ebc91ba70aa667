package dev.trellis.proxy.xds;

import java.time.Duration;

/** Protobuf durations as Java's, for the adapters. */
final class ProtoDurations {
    private ProtoDurations() {}

    static Duration of(com.google.protobuf.Duration d) {
        return Duration.ofSeconds(d.getSeconds(), d.getNanos());
    }

    /** The duration, or a refusal when it is not above zero (Envoy requires it of its timeouts and intervals). */
    static Duration positive(com.google.protobuf.Duration d, String where, Refusals refusals) {
        Duration duration = of(d);
        if (duration.isNegative() || duration.isZero()) {
            refusals.add(where, duration + " (expected: above 0)");
            return null;
        }
        return duration;
    }
}
