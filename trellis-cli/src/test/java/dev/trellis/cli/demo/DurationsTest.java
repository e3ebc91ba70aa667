package dev.trellis.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
    @Test
    void readsWhatPeopleType() {
        assertThat(Durations.parse("90")).hasValue(Duration.ofSeconds(90));
        assertThat(Durations.parse("10s")).hasValue(Duration.ofSeconds(10));
        assertThat(Durations.parse("1m")).hasValue(Duration.ofMinutes(1));
        assertThat(Durations.parse("1m30s")).hasValue(Duration.ofSeconds(90));
        assertThat(Durations.parse("2h")).hasValue(Duration.ofHours(2));
        assertThat(Durations.parse("1500ms")).hasValue(Duration.ofMillis(1500));
        assertThat(Durations.parse(" 5S ")).hasValue(Duration.ofSeconds(5));
    }

    @Test
    void refusesWhatIsNotADuration() {
        for (String text : new String[] {"", "s", "10x", "1.5s", "-3s", "10 s", "ten", "PT10S", "9999999999"}) {
            assertThat(Durations.parse(text)).as(text).isEmpty();
        }
    }

    @Test
    void formatsShortly() {
        assertThat(Durations.format(Duration.ofSeconds(10))).isEqualTo("10s");
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(Durations.format(Duration.ofHours(24))).isEqualTo("24h");
        assertThat(Durations.format(Duration.ofMillis(2500))).isEqualTo("2.5s");
    }
}
