package dev.trellis.config.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {
    @ParameterizedTest
    @CsvSource({
        "0, PT0S",
        "0s, PT0S",
        "10s, PT10S",
        "1m, PT1M",
        "1h, PT1H",
        "1h30m, PT1H30M",
        "1.5h, PT1H30M",
        "250ms, PT0.25S",
        "3us, PT0.000003S",
        "7ns, PT0.000000007S",
        ".5s, PT0.5S"
    })
    void readsGoDurations(String text, Duration expected) {
        assertThat(Durations.parse(text)).contains(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10", "s", "-1s", "1d", "10 s", "1h 30m", "1.5.5s", "0.5ns", "1e3s", "9999999999h"})
    void rejectsAnythingElse(String text) {
        assertThat(Durations.parse(text)).isEmpty();
    }
}
