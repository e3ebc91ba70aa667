package dev.trellis.proxy.http.router;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GrpcTimeoutTest {
    @ParameterizedTest
    @CsvSource({"1H,3600000000000", "2M,120000000000", "3S,3000000000", "250m,250000000", "7u,7000", "9n,9",
            "99999999m,99999999000000"})
    void everyUnitParses(String header, long nanos) {
        assertThat(GrpcTimeout.parse(header)).isEqualTo(nanos);
    }

    @ParameterizedTest
    @CsvSource({"''", "S", "10", "10s", "-1S", "1.5S", "123456789S", "10 S"})
    void malformedValuesAreIgnored(String header) {
        assertThat(GrpcTimeout.parse(header)).isEqualTo(-1);
    }

    @Test
    void absentIsIgnored() {
        assertThat(GrpcTimeout.parse(null)).isEqualTo(-1);
    }

    @Test
    void formatsInTheFinestUnitThatFitsAndNeverShortens() {
        assertThat(GrpcTimeout.format(999)).isEqualTo("999n");
        assertThat(GrpcTimeout.format(1_500_000_000L)).isEqualTo("1500000u");
        assertThat(GrpcTimeout.format(250_000_000_001L)).isEqualTo("250001m");
        long twoDays = 48 * 3_600_000_000_000L;
        assertThat(GrpcTimeout.parse(GrpcTimeout.format(twoDays))).isGreaterThanOrEqualTo(twoDays);
        assertThat(GrpcTimeout.parse(GrpcTimeout.format(123_456_789_123L))).isGreaterThanOrEqualTo(123_456_789_123L);
    }
}
