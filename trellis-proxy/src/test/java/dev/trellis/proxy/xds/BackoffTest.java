package dev.trellis.proxy.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Exponential backoff with full jitter: the ceiling doubles up to the cap, each wait is drawn below it. */
class BackoffTest {
    @Test
    void theCeilingDoublesUpToTheCapAndEachWaitIsDrawnBelowIt() {
        Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5), new SplittableRandom(42));
        List<Long> ceilings = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            long ceiling = backoff.ceilingMillis();
            ceilings.add(ceiling);
            assertThat(backoff.nextDelayMillis()).isBetween(0L, ceiling);
        }
        assertThat(ceilings.subList(0, 7)).containsExactly(200L, 400L, 800L, 1600L, 3200L, 5000L, 5000L);
        assertThat(ceilings).allMatch(c -> c <= 5000);
    }

    @Test
    void waitsAreSpreadNotFixed() {
        Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5), new SplittableRandom(7));
        List<Long> waits = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            backoff.reset();
            waits.add(backoff.nextDelayMillis());
        }
        assertThat(waits).allMatch(w -> w >= 0 && w <= 200);
        assertThat(waits.stream().distinct().count()).as("jittered, not one fixed wait").isGreaterThan(10);
    }

    @Test
    void resetStartsOverAfterAStreamThatWorked() {
        Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5), new SplittableRandom(1));
        for (int i = 0; i < 10; i++) {
            backoff.nextDelayMillis();
        }
        backoff.reset();
        assertThat(backoff.ceilingMillis()).isEqualTo(200);
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), new SplittableRandom()))
                .hasMessageContaining("expected: 0 < initial <= max");
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), new SplittableRandom()))
                .hasMessageContaining("expected: 0 < initial <= max");
    }
}
