package dev.trellis.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The demo's schedule: four equal phases, and which one a request belongs to. */
class PhasesTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void cutsTheDurationIntoFourEqualPhasesMovingTheSplitToV2ThenFailingAReplica() {
        Phases phases = new Phases(Duration.ofSeconds(12));

        assertThat(phases.all()).extracting(p -> p.split().toString()).containsExactly("90/10", "50/50", "0/100", "0/100");
        assertThat(phases.all()).extracting(Phases.Phase::replicaFails).containsExactly(false, false, false, true);
        assertThat(phases.all()).extracting(Phases.Phase::startNanos).containsExactly(0L, 3 * SECOND, 6 * SECOND, 9 * SECOND);
        assertThat(phases.all()).extracting(Phases.Phase::endNanos).containsExactly(3 * SECOND, 6 * SECOND, 9 * SECOND, 12 * SECOND);
        assertThat(phases.phaseLength()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void aRequestBelongsToThePhaseItWasSentIn() {
        Phases phases = new Phases(Duration.ofSeconds(12));

        assertThat(phases.at(0).number()).isEqualTo(1);
        assertThat(phases.at(3 * SECOND - 1).number()).isEqualTo(1);
        assertThat(phases.at(3 * SECOND).number()).isEqualTo(2);
        assertThat(phases.at(6 * SECOND).number()).isEqualTo(3);
        assertThat(phases.at(9 * SECOND).number()).isEqualTo(4);
        assertThat(phases.at(12 * SECOND + 5).number()).as("sent as the load ends").isEqualTo(4);
    }

    @Test
    void boundariesOfADurationThatDoesNotDivideByFour() {
        Phases phases = new Phases(Duration.ofMillis(1001));

        assertThat(phases.all()).extracting(Phases.Phase::startNanos).containsExactly(0L, 250_250_000L, 500_500_000L, 750_750_000L);
        assertThat(phases.last().endNanos()).isEqualTo(1_001_000_000L);
    }
}
