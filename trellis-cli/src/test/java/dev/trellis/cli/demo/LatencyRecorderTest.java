package dev.trellis.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LatencyRecorderTest {
    @Test
    void percentilesAreWithinOnePercent() {
        LatencyRecorder recorder = new LatencyRecorder();
        for (int ms = 1; ms <= 1000; ms++) {
            recorder.record(ms * 1_000_000L);
        }
        assertThat(recorder.percentileMillis(50)).isCloseTo(500, within(5.0));
        assertThat(recorder.percentileMillis(90)).isCloseTo(900, within(9.0));
        assertThat(recorder.percentileMillis(99)).isCloseTo(990, within(9.9));
    }

    @Test
    void nothingRecordedIsNaN() {
        assertThat(new LatencyRecorder().percentileMillis(50)).isNaN();
    }
}
