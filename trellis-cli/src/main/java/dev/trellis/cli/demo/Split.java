package dev.trellis.cli.demo;

/**
 * A traffic split between catalog's two subsets, in percent.
 *
 * @param v1Weight percent of catalog's traffic to subset v1, 0..100; v2 gets the rest
 */
public record Split(int v1Weight) {
    public Split {
        if (v1Weight < 0 || v1Weight > 100) {
            throw new IllegalArgumentException("v1Weight: " + v1Weight + " (expected: 0..100)");
        }
    }

    public int v2Weight() {
        return 100 - v1Weight;
    }

    /** {@code 90/10}: v1's weight, then v2's. */
    @Override
    public String toString() {
        return v1Weight + "/" + v2Weight();
    }
}
