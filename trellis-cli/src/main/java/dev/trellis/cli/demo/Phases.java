package dev.trellis.cli.demo;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The demo's schedule: the load's duration cut into equal phases, each with the split the control
 * plane is told at its start. In the last, the split stays and one of v2's two replicas starts
 * failing. A request belongs to the phase in which it was sent.
 */
public final class Phases {
    /** The splits, in order: a canary taking a little traffic, then half, then all of it, twice. */
    public static final List<Split> SPLITS = List.of(new Split(90), new Split(50), new Split(0), new Split(0));
    /** The phase in which a replica of v2 starts answering errors. */
    public static final int FAILING_PHASE = 4;

    /**
     * One phase.
     *
     * @param number 1, 2, 3...
     * @param startNanos when it starts, in nanoseconds after the load started
     * @param endNanos when it ends (the next one starts), in nanoseconds after the load started
     */
    public record Phase(int number, Split split, long startNanos, long endNanos) {
        public boolean isFirst() {
            return number == 1;
        }

        /** Whether one of v2's replicas starts failing as this phase begins. */
        public boolean replicaFails() {
            return number == FAILING_PHASE;
        }
    }

    private final long totalNanos;
    private final List<Phase> phases;

    public Phases(Duration total) {
        if (total.isNegative() || total.isZero()) {
            throw new IllegalArgumentException("total: " + total + " (expected: more than 0)");
        }
        this.totalNanos = total.toNanos();
        this.phases = IntStream.range(0, SPLITS.size())
                .mapToObj(i -> new Phase(i + 1, SPLITS.get(i), boundary(i), boundary(i + 1)))
                .toList();
    }

    private long boundary(int index) {
        return totalNanos * index / SPLITS.size(); // at most 24 h * 4 in nanoseconds: no overflow
    }

    public List<Phase> all() {
        return phases;
    }

    public Phase first() {
        return phases.get(0);
    }

    public Phase last() {
        return phases.get(phases.size() - 1);
    }

    /** How long each phase lasts. */
    public Duration phaseLength() {
        return Duration.ofNanos(totalNanos / phases.size());
    }

    /** The phase a request sent {@code sentNanos} after the load started belongs to; late ones belong to the last. */
    public Phase at(long sentNanos) {
        for (Phase phase : phases) {
            if (sentNanos < phase.endNanos()) {
                return phase;
            }
        }
        return last();
    }
}
