package dev.trellis.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Per-phase counts: by the moment a request was sent, and apart once the sidecar ran the phase's split. */
class PhaseStatsTest {
    private static final long SECOND = 1_000_000_000L;
    private final Phases phases = new Phases(Duration.ofSeconds(12));
    private final PhaseStats stats = new PhaseStats(phases);

    @Test
    void countsEachRequestInThePhaseItWasSentInWheneverItEnds() {
        stats.served(SECOND, DemoMesh.V1, 1_000);
        stats.served(3 * SECOND - 1, DemoMesh.V1, 2 * SECOND); // ends during phase 2
        stats.failed(4 * SECOND, "HTTP 503");

        assertThat(stats.phases().get(0).sent().served(DemoMesh.V1)).isEqualTo(2);
        assertThat(stats.phases().get(1).sent().failed()).isEqualTo(1);
        assertThat(stats.phases().get(1).sent().succeeded()).isZero();
        assertThat(stats.total().counts().total()).isEqualTo(3);
    }

    @Test
    void countsApartTheRequestsSentOnceTheSidecarRanThePhasesSplit() {
        Phases.Phase second = phases.all().get(1);
        stats.served(3 * SECOND + 1_000, DemoMesh.V1, 1_000); // the old split, before the change ran
        stats.running(second, 3 * SECOND + 20_000_000);
        stats.served(3 * SECOND + 20_000_000, DemoMesh.V2, 1_000);
        stats.served(5 * SECOND, DemoMesh.V1, 1_000);

        PhaseStats.Observed observed = stats.of(second);
        assertThat(observed.runningFrom()).hasValue(3 * SECOND + 20_000_000);
        assertThat(observed.sent().succeeded()).isEqualTo(3);
        assertThat(observed.afterChange().served(DemoMesh.V1)).isEqualTo(1);
        assertThat(observed.afterChange().served(DemoMesh.V2)).isEqualTo(1);
    }

    @Test
    void aPhaseWhoseSplitNeverRanHasNothingAfterTheChange() {
        stats.served(10 * SECOND, DemoMesh.V1, 1_000);

        PhaseStats.Observed last = stats.of(phases.last());
        assertThat(last.runningFrom()).isEmpty();
        assertThat(last.sent().total()).isEqualTo(1);
        assertThat(last.afterChange().total()).isZero();
    }
}
