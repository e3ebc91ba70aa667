package dev.trellis.model;

/** The check every share of requests written as a percentage passes. */
final class Percents {
    private Percents() {}

    static void check(String name, double percent) {
        if (!(percent >= 0 && percent <= 100)) {
            throw new IllegalArgumentException(name + ": " + percent + " (expected: 0..100)");
        }
    }
}
