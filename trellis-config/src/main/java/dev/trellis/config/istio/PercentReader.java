package dev.trellis.config.istio;

import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Node;
import java.util.OptionalDouble;

/**
 * Reads Istio's shares of requests: a {@code Percent} ({@code {value: 12.5}}), or the older whole
 * percentage some fields still take ({@code percent: 50}).
 */
final class PercentReader {
    private static final Fields PERCENT = Fields.of("value");
    // Envoy counts shares per million, so Istio rejects what would round to none.
    private static final double LEAST = 0.0001;
    private static final String EXPECTED = "0, or a percentage of 0.0001..100";

    private PercentReader() {}

    /** The share in {@code {value: N}}; empty when absent or wrong. */
    static OptionalDouble percentage(Node percentage) {
        if (!percentage.isObject(PERCENT)) {
            return OptionalDouble.empty();
        }
        Node value = percentage.get("value");
        if (!value.isPresent()) {
            return OptionalDouble.of(0); // Istio's Percent with no value is 0
        }
        OptionalDouble share = value.number(0, 100);
        if (share.isPresent() && share.getAsDouble() > 0 && share.getAsDouble() < LEAST) {
            value.problem(EXPECTED);
            return OptionalDouble.empty();
        }
        return share;
    }

    /** The whole percentage in {@code n}, 0..100; empty when absent or wrong. */
    static OptionalDouble wholePercent(Node n) {
        var percent = n.integer(0, 100);
        return percent.isPresent() ? OptionalDouble.of(percent.getAsInt()) : OptionalDouble.empty();
    }
}
