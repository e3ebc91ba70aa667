package dev.trellis.proxy.route;

import java.util.concurrent.ThreadLocalRandom;

/** Shares of requests written as percentages, as Istio writes them, and the draw that picks them. */
public final class Percent {
    private Percent() {}

    static void check(double percent) {
        if (!(percent >= 0 && percent <= 100)) {
            throw new IllegalArgumentException("percent: " + percent + " (expected: 0..100)");
        }
    }

    /** Whether this request falls in the {@code percent} share. */
    public static boolean draw(double percent) {
        return percent >= 100 || (percent > 0 && ThreadLocalRandom.current().nextDouble(100) < percent);
    }
}
