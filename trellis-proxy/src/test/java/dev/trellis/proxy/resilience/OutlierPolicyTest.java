package dev.trellis.proxy.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class OutlierPolicyTest {
    @Test
    void defaultsAreWhatIstioSendsEnvoyWhenOutlierDetectionIsPresent() {
        OutlierPolicy policy = OutlierPolicy.builder().build();
        assertThat(policy).isEqualTo(OutlierPolicy.DEFAULT);
        assertThat(policy.consecutive5xxErrors()).isEqualTo(5);
        assertThat(policy.consecutiveGatewayErrors()).isZero();
        assertThat(policy.splitExternalLocalOriginErrors()).isFalse();
        assertThat(policy.consecutiveLocalOriginFailures()).isZero();
        assertThat(policy.interval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(policy.baseEjectionTime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(policy.maxEjectionTime()).isEqualTo(Duration.ofSeconds(300));
        assertThat(policy.maxEjectionPercent()).isEqualTo(10);
        assertThat(policy.alwaysEjectOneHost()).isTrue();
        assertThat(policy.minHealthPercent()).isZero();
    }

    @Test
    void splittingLocalOriginErrorsCountsFiveOfThemByDefault() {
        assertThat(OutlierPolicy.builder().splitExternalLocalOriginErrors(true).build().consecutiveLocalOriginFailures()).isEqualTo(5);
        assertThat(OutlierPolicy.builder().splitExternalLocalOriginErrors(true).consecutiveLocalOriginFailures(2).build()
                .consecutiveLocalOriginFailures()).isEqualTo(2);
    }

    @Test
    void localOriginFailuresNeedTheSplitAsIstioValidates() {
        assertThatThrownBy(() -> OutlierPolicy.builder().consecutiveLocalOriginFailures(3).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("consecutiveLocalOriginFailures: 3 (expected: 0 unless splitExternalLocalOriginErrors is true)");
        assertThat(OutlierPolicy.builder().consecutiveLocalOriginFailures(0).build()).isEqualTo(OutlierPolicy.DEFAULT);
    }

    @Test
    void theMaximumEjectionTimeDefaultsToTheBaseWhenTheBaseIsLonger() {
        OutlierPolicy policy = OutlierPolicy.builder().baseEjectionTime(Duration.ofMinutes(10)).build();
        assertThat(policy.maxEjectionTime()).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void settingsOutOfRangeAreRefusedWithWhatWasGivenAndWhatIsExpected() {
        assertThatThrownBy(() -> OutlierPolicy.builder().maxEjectionPercent(140).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxEjectionPercent: 140 (expected: 0..100)");
        assertThatThrownBy(() -> OutlierPolicy.builder().minHealthPercent(-1).build())
                .hasMessage("minHealthPercent: -1 (expected: 0..100)");
        assertThatThrownBy(() -> OutlierPolicy.builder().consecutive5xxErrors(-1).build())
                .hasMessage("consecutive5xxErrors: -1 (expected: >= 0, 0 to disable)");
        assertThatThrownBy(() -> OutlierPolicy.builder().consecutiveGatewayErrors(-2).build())
                .hasMessage("consecutiveGatewayErrors: -2 (expected: >= 0, 0 to disable)");
        assertThatThrownBy(() -> OutlierPolicy.builder().interval(Duration.ZERO).build())
                .hasMessage("interval: PT0S (expected: > 0)");
        assertThatThrownBy(() -> OutlierPolicy.builder().baseEjectionTime(Duration.ofSeconds(-1)).build())
                .hasMessage("baseEjectionTime: PT-1S (expected: > 0)");
        assertThatThrownBy(() -> OutlierPolicy.builder().maxEjectionTime(Duration.ofSeconds(10)).build())
                .hasMessage("maxEjectionTime: PT10S (expected: >= baseEjectionTime PT30S)");
        assertThatThrownBy(() -> OutlierPolicy.builder().interval(Duration.ofDays(365L * 300)).build())
                .hasMessage("interval: PT2628000H (expected: < 292 years)");
        assertThatThrownBy(() -> OutlierPolicy.builder().interval(null).build()).isInstanceOf(NullPointerException.class);
    }

    @Test
    @SuppressWarnings("deprecation")
    void theDeprecatedConsecutiveErrorsIsAcceptedWithAWarningAndIgnoredAsInIstio() {
        OutlierPolicy.Builder builder = OutlierPolicy.builder().consecutiveErrors(2);
        assertThat(builder.warnings()).containsExactly(OutlierPolicy.CONSECUTIVE_ERRORS_DEPRECATED);
        assertThat(builder.build()).isEqualTo(OutlierPolicy.DEFAULT);

        OutlierPolicy withOthers = OutlierPolicy.builder().consecutiveErrors(2).consecutiveGatewayErrors(3).build();
        assertThat(withOthers.consecutiveGatewayErrors()).isEqualTo(3);
        assertThat(withOthers.consecutive5xxErrors()).isEqualTo(5);

        assertThat(OutlierPolicy.builder().consecutiveErrors(0).warnings()).isEmpty();
        assertThat(OutlierPolicy.builder().warnings()).isEmpty();
    }
}
