package dev.trellis.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Each request's intended start comes from the run's start alone, at exactly rate per second. */
class ScheduleTest {

    @Test
    void requestsAreSpacedOneOverTheRateApartWithoutDrift() {
        Schedule thirds = new Schedule(3);
        assertThat(thirds.offsetNanos(0)).isZero();
        assertThat(thirds.offsetNanos(1)).isEqualTo(333_333_333L);
        assertThat(thirds.offsetNanos(2)).isEqualTo(666_666_666L);
        assertThat(thirds.offsetNanos(3)).isEqualTo(1_000_000_000L);
        // An hour later, still on the second: nothing accumulates from one request to the next.
        assertThat(thirds.offsetNanos(3 * 3600)).isEqualTo(3600_000_000_000L);
        assertThat(new Schedule(7).offsetNanos(7 * 3600)).isEqualTo(3600_000_000_000L);
    }

    @Test
    void countsTheRequestsMeantToStartBeforeAnOffset() {
        Schedule perMillisecond = new Schedule(1000);
        assertThat(perMillisecond.countBefore(0)).isZero();
        assertThat(perMillisecond.countBefore(1)).isEqualTo(1);
        assertThat(perMillisecond.countBefore(1_000_000)).isEqualTo(1);
        assertThat(perMillisecond.countBefore(1_000_001)).isEqualTo(2);
        assertThat(perMillisecond.countBefore(1_000_000_000)).isEqualTo(1000);
        assertThat(new Schedule(3).countBefore(1_000_000_000)).isEqualTo(3);
        for (long rate : new long[] {1, 3, 7, 999, 10_000, 123_457, Schedule.MAX_RATE}) {
            Schedule schedule = new Schedule(rate);
            for (long index : new long[] {0, 1, 2, rate - 1, rate, 5 * rate + 1}) {
                assertThat(schedule.countBefore(schedule.offsetNanos(index))).as("rate %d, request %d", rate, index)
                        .isEqualTo(index);
                assertThat(schedule.countBefore(schedule.offsetNanos(index) + 1)).as("rate %d, request %d", rate, index)
                        .isEqualTo(index + 1);
            }
        }
    }

    @Test
    void rejectsARateOutOfRange() {
        assertThatThrownBy(() -> new Schedule(0)).hasMessage("rate: 0 (expected: 1..1000000 requests/s)");
        assertThatThrownBy(() -> new Schedule(Schedule.MAX_RATE + 1)).hasMessageStartingWith("rate: 1000001 ");
    }
}
