package dev.trellis.cli.demo;

import java.util.List;
import java.util.OptionalLong;

/**
 * What the load saw, in all and phase by phase: each request counts in the phase it was sent in,
 * and, within its phase, also among those sent after the client's sidecar was running the
 * phase's split. Requests sent between a phase's start and that moment may still follow the
 * previous split, and are reported as they were observed.
 */
public final class PhaseStats implements LoadGenerator.Outcomes {
    /** No moment yet: the phase's split is not known to run. */
    private static final long NOT_YET = Long.MAX_VALUE;

    /** One phase's requests. */
    public static final class Observed {
        private final Phases.Phase phase;
        private final LoadStats sent = new LoadStats();
        private final LoadStats afterChange = new LoadStats();
        private volatile long runningFrom = NOT_YET;

        private Observed(Phases.Phase phase) {
            this.phase = phase;
        }

        public Phases.Phase phase() {
            return phase;
        }

        /** Every request sent during the phase. */
        public LoadStats.Counts sent() {
            return sent.counts();
        }

        /** The requests sent once the client's sidecar ran the phase's split. */
        public LoadStats.Counts afterChange() {
            return afterChange.counts();
        }

        /** When the client's sidecar was seen running the phase's split, in nanoseconds after the load started. */
        public OptionalLong runningFrom() {
            long from = runningFrom;
            return from == NOT_YET ? OptionalLong.empty() : OptionalLong.of(from);
        }

        private void record(long sentNanos, String server, long tookNanos) {
            sent.served(server, tookNanos);
            if (sentNanos >= runningFrom) {
                afterChange.served(server, tookNanos);
            }
        }

        private void recordFailure(long sentNanos, String kind) {
            sent.failed(kind);
            if (sentNanos >= runningFrom) {
                afterChange.failed(kind);
            }
        }
    }

    private final Phases phases;
    private final LoadStats total = new LoadStats();
    private final List<Observed> observed;

    public PhaseStats(Phases phases) {
        this.phases = phases;
        this.observed = phases.all().stream().map(Observed::new).toList();
    }

    /** Every request of the run. */
    public LoadStats total() {
        return total;
    }

    public List<Observed> phases() {
        return observed;
    }

    public Observed of(Phases.Phase phase) {
        return observed.get(phase.number() - 1);
    }

    /**
     * The client's sidecar runs {@code phase}'s split from {@code nanos} after the load started
     * (0: it did before the load began); requests of the phase sent from then on count as after the change.
     */
    public void running(Phases.Phase phase, long nanos) {
        of(phase).runningFrom = Math.max(0, nanos);
    }

    @Override
    public void served(long sentNanos, String server, long tookNanos) {
        total.served(server, tookNanos);
        of(phases.at(sentNanos)).record(sentNanos, server, tookNanos);
    }

    @Override
    public void failed(long sentNanos, String kind) {
        total.failed(kind);
        of(phases.at(sentNanos)).recordFailure(sentNanos, kind);
    }
}
