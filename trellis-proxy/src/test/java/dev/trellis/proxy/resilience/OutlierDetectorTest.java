package dev.trellis.proxy.resilience;

import static dev.trellis.proxy.resilience.EjectionReason.CONSECUTIVE_5XX;
import static dev.trellis.proxy.resilience.EjectionReason.CONSECUTIVE_GATEWAY_FAILURE;
import static dev.trellis.proxy.resilience.EjectionReason.CONSECUTIVE_LOCAL_ORIGIN_FAILURE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.proxy.balance.Endpoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class OutlierDetectorTest {
    private final FakeClock clock = new FakeClock();
    private final Events events = new Events();

    /** What the listener heard, in order. */
    static final class Events implements OutlierListener {
        final List<String> log = new ArrayList<>();

        @Override
        public synchronized void onEjected(Endpoint endpoint, EjectionReason reason, Duration ejectionTime) {
            log.add("ejected " + endpoint + " " + reason + " " + ejectionTime.toSeconds() + "s");
        }

        @Override
        public synchronized void onUnejected(Endpoint endpoint) {
            log.add("returned " + endpoint);
        }
    }

    static List<Endpoint> endpoints(int n) {
        return IntStream.range(0, n).mapToObj(i -> new Endpoint("10.0.0." + i, 8080, Map.of())).toList();
    }

    private OutlierDetector detector(OutlierPolicy.Builder policy, List<Endpoint> endpoints) {
        return new OutlierDetector(policy.build(), endpoints, events);
    }

    private void respond(OutlierDetector detector, Endpoint endpoint, int status, int times) {
        for (int i = 0; i < times; i++) {
            detector.onResponse(endpoint, status, clock.nanos());
        }
    }

    private void fail(OutlierDetector detector, Endpoint endpoint, LocalOriginFailure failure, int times) {
        for (int i = 0; i < times; i++) {
            detector.onLocalOriginFailure(endpoint, failure, clock.nanos());
        }
    }

    private static OutlierDetector.HostStatus status(OutlierDetector detector, Endpoint endpoint, long now) {
        return detector.hostStatus(endpoint, now).orElseThrow();
    }

    // --- consecutive 5xx

    @Test
    void ejectsAtTheFifth5xxInARowWithoutWaitingForTheInterval() {
        List<Endpoint> hosts = endpoints(10);
        Endpoint bad = hosts.get(3);
        OutlierDetector detector = detector(OutlierPolicy.builder(), hosts);
        respond(detector, bad, 500, 4);
        assertThat(detector.isEjected(bad)).isFalse();
        assertThat(status(detector, bad, clock.nanos()).consecutive5xx()).isEqualTo(4);

        respond(detector, bad, 500, 1);
        assertThat(detector.isEjected(bad)).isTrue();
        assertThat(detector.ejectedEndpoints()).containsExactly(bad);
        assertThat(events.log).containsExactly("ejected 10.0.0.3:8080 CONSECUTIVE_5XX 30s");
        OutlierDetector.Stats stats = detector.stats();
        assertThat(stats.ejectionsActive()).isEqualTo(1);
        assertThat(stats.ejectionsEnforcedTotal()).isEqualTo(1);
        assertThat(stats.ejectionsEnforced()).containsEntry(CONSECUTIVE_5XX, 1L).containsEntry(CONSECUTIVE_GATEWAY_FAILURE, 0L);
        assertThat(stats.ejectionsDetected()).containsEntry(CONSECUTIVE_5XX, 1L);
        assertThat(stats.ejectionsOverflow()).isZero();
        OutlierDetector.HostStatus host = status(detector, bad, clock.nanos());
        assertThat(host.ejected()).isTrue();
        assertThat(host.ejectionReason()).contains(CONSECUTIVE_5XX);
        assertThat(host.timesEjected()).isEqualTo(1);
        assertThat(host.ejectionTime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(host.ejectionTimeLeft()).isEqualTo(Duration.ofSeconds(30));
        assertThat(host.consecutive5xx()).isZero(); // the run starts again once detected
    }

    @Test
    void aSuccessEndsTheRun() {
        List<Endpoint> hosts = endpoints(10);
        Endpoint flaky = hosts.get(0);
        OutlierDetector detector = detector(OutlierPolicy.builder(), hosts);
        for (int i = 0; i < 10; i++) {
            respond(detector, flaky, 503, 4);
            respond(detector, flaky, 200, 1);
        }
        respond(detector, flaky, 500, 4);
        respond(detector, flaky, 404, 1); // a 4xx is no server error
        respond(detector, flaky, 500, 4);
        assertThat(detector.isEjected(flaky)).isFalse();
        assertThat(detector.stats().ejectionsDetected()).containsEntry(CONSECUTIVE_5XX, 0L);
    }

    @Test
    void eachEndpointHasItsOwnRun() {
        List<Endpoint> hosts = endpoints(10);
        OutlierDetector detector = detector(OutlierPolicy.builder().maxEjectionPercent(100), hosts);
        for (int i = 0; i < 4; i++) {
            for (Endpoint host : hosts) {
                respond(detector, host, 500, 1);
            }
        }
        assertThat(detector.ejectedEndpoints()).isEmpty();
        respond(detector, hosts.get(7), 500, 1);
        assertThat(detector.ejectedEndpoints()).containsExactly(hosts.get(7));
    }

    @Test
    void aThresholdOfZeroTurnsTheDetectorOff() {
        List<Endpoint> hosts = endpoints(10);
        OutlierDetector detector = detector(OutlierPolicy.builder().consecutive5xxErrors(0), hosts);
        respond(detector, hosts.get(0), 500, 1_000);
        respond(detector, hosts.get(1), 503, 1_000); // the gateway detector is off by default too
        assertThat(detector.ejectedEndpoints()).isEmpty();
        assertThat(detector.stats().ejectionsDetected().values()).containsOnly(0L);
    }

    // --- gateway errors

    @Test
    void gatewayErrorsEjectAtTheirOwnThresholdAndA500EndsTheirRun() {
        List<Endpoint> hosts = endpoints(10);
        Endpoint bad = hosts.get(1);
        OutlierDetector detector = detector(OutlierPolicy.builder().consecutiveGatewayErrors(3), hosts);
        respond(detector, bad, 502, 1);
        respond(detector, bad, 504, 1);
        respond(detector, bad, 500, 1); // a 5xx but no gateway error: ends the gateway run only
        respond(detector, bad, 503, 1);
        assertThat(status(detector, bad, clock.nanos()).consecutiveGatewayErrors()).isEqualTo(1);
        assertThat(status(detector, bad, clock.nanos()).consecutive5xx()).isEqualTo(4);
        assertThat(detector.isEjected(bad)).isFalse();

        respond(detector, bad, 503, 1); // gateway run 2, 5xx run 5
        assertThat(detector.isEjected(bad)).isTrue();
        assertThat(events.log).containsExactly("ejected 10.0.0.1:8080 CONSECUTIVE_5XX 30s");
    }

    @Test
    void theGatewayDetectorIsAskedFirstWhenBothThresholdsAreReachedTogether() {
        List<Endpoint> hosts = endpoints(10);
        Endpoint bad = hosts.get(2);
        OutlierDetector detector = detector(OutlierPolicy.builder().consecutive5xxErrors(3).consecutiveGatewayErrors(3), hosts);
        respond(detector, bad, 502, 3);
        assertThat(events.log).containsExactly("ejected 10.0.0.2:8080 CONSECUTIVE_GATEWAY_FAILURE 30s");
        OutlierDetector.Stats stats = detector.stats();
        assertThat(stats.ejectionsEnforced()).containsEntry(CONSECUTIVE_GATEWAY_FAILURE, 1L).containsEntry(CONSECUTIVE_5XX, 0L);
        // As in Envoy, the 5xx run reaching its threshold on an ejected endpoint is not a detection.
        assertThat(stats.ejectionsDetected()).containsEntry(CONSECUTIVE_5XX, 0L);
    }

    @Test
    void gatewayErrorsBelowThe5xxThresholdEjectFirst() {
        List<Endpoint> hosts = endpoints(10);
        Endpoint bad = hosts.get(0);
        OutlierDetector detector = detector(OutlierPolicy.builder().consecutiveGatewayErrors(2), hosts);
        respond(detector, bad, 504, 2);
        assertThat(events.log).containsExactly("ejected 10.0.0.0:8080 CONSECUTIVE_GATEWAY_FAILURE 30s");
    }

    // --- local-origin failures

    @Test
    void unsplitLocalOriginFailuresCountAs503And504() {
        List<Endpoint> hosts = endpoints(10);
        OutlierDetector detector = detector(OutlierPolicy.builder().consecutiveGatewayErrors(3), hosts);
        Endpoint refusing = hosts.get(0);
        fail(detector, refusing, LocalOriginFailure.CONNECT_FAILED, 1);
        fail(detector, refusing, LocalOriginFailure.RESET, 1);
        assertThat(status(detector, refusing, clock.nanos()).consecutiveGatewayErrors()).isEqualTo(2);
        assertThat(status(detector, refusing, clock.nanos()).consecutiveLocalOriginFailures()).isZero();
        fail(detector, refusing, LocalOriginFailure.TIMEOUT, 1);
        assertThat(detector.isEjected(refusing)).isTrue();
        assertThat(events.log).containsExactly("ejected 10.0.0.0:8080 CONSECUTIVE_GATEWAY_FAILURE 30s");

        // With only the 5xx detector, five of them eject as 5xx.
        OutlierDetector only5xx = detector(OutlierPolicy.builder(), hosts);
        fail(only5xx, hosts.get(1), LocalOriginFailure.TIMEOUT, 4);
        respond(only5xx, hosts.get(1), 200, 1);
        fail(only5xx, hosts.get(1), LocalOriginFailure.CONNECT_FAILED, 4);
        assertThat(only5xx.isEjected(hosts.get(1))).isFalse();
        fail(only5xx, hosts.get(1), LocalOriginFailure.CONNECT_FAILED, 1);
        assertThat(only5xx.isEjected(hosts.get(1))).isTrue();
    }

    @Test
    void unsplitConnectSuccessIsIgnoredForHttpAndASuccessForTcp() {
        List<Endpoint> hosts = endpoints(10);
        OutlierDetector detector = detector(OutlierPolicy.builder(), hosts);
        Endpoint host = hosts.get(0);
        fail(detector, host, LocalOriginFailure.CONNECT_FAILED, 4);
        detector.onConnected(host); // an HTTP attempt: its response decides
        assertThat(status(detector, host, clock.nanos()).consecutive5xx()).isEqualTo(4);
        detector.onTcpConnected(host, clock.nanos()); // opaque TCP: connecting is the success
        assertThat(status(detector, host, clock.nanos()).consecutive5xx()).isZero();
        fail(detector, host, LocalOriginFailure.CONNECT_FAILED, 4);
        assertThat(detector.isEjected(host)).isFalse();
    }

    @Test
    void splitLocalOriginFailuresHaveTheirOwnRunAndLeaveTheStatusRunsAlone() {
        List<Endpoint> hosts = endpoints(10);
        OutlierDetector detector = detector(
                OutlierPolicy.builder().splitExternalLocalOriginErrors(true).consecutiveGatewayErrors(2), hosts);
        Endpoint host = hosts.get(4);
        fail(detector, host, LocalOriginFailure.CONNECT_FAILED, 2);
        fail(detector, host, LocalOriginFailure.TIMEOUT, 2);
        OutlierDetector.HostStatus now = status(detector, host, clock.nanos());
        assertThat(now.consecutiveLocalOriginFailures()).isEqualTo(4);
        assertThat(now.consecutiveGatewayErrors()).isZero();
        assertThat(now.consecutive5xx()).isZero();
        assertThat(detector.isEjected(host)).isFalse();

        fail(detector, host, LocalOriginFailure.RESET, 1);
        assertThat(events.log).containsExactly("ejected 10.0.0.4:8080 CONSECUTIVE_LOCAL_ORIGIN_FAILURE 30s");
        assertThat(detector.stats().ejectionsEnforced()).containsEntry(CONSECUTIVE_LOCAL_ORIGIN_FAILURE, 1L);

        // Responses still feed the status detectors.
        Endpoint other = hosts.get(5);
        respond(detector, other, 502, 2);
        assertThat(detector.isEjected(other)).isFalse(); // the limit: 10% of 10 is one
        assertThat(detector.stats().ejectionsDetected()).containsEntry(CONSECUTIVE_GATEWAY_FAILURE, 1L);
    }

    @Test
    void splitRunsEndWhenAConnectionIsMadeOrAResponseComes() {
        List<Endpoint> hosts = endpoints(10);
        OutlierDetector detector = detector(OutlierPolicy.builder().splitExternalLocalOriginErrors(true).consecutiveLocalOriginFailures(3), hosts);
        Endpoint host = hosts.get(0);
        fail(detector, host, LocalOriginFailure.CONNECT_FAILED, 2);
        detector.onConnected(host);
        fail(detector, host, LocalOriginFailure.RESET, 2);
        respond(detector, host, 503, 1);
        fail(detector, host, LocalOriginFailure.TIMEOUT, 2);
        detector.onTcpConnected(host, clock.nanos());
        fail(detector, host, LocalOriginFailure.CONNECT_FAILED, 2);
        assertThat(detector.isEjected(host)).isFalse();
        fail(detector, host, LocalOriginFailure.CONNECT_FAILED, 1);
        assertThat(detector.isEjected(host)).isTrue();
    }

    // --- max ejection percent

    @Test
    void aTenthOfTenEndpointsMayBeEjectedAndTheNextDetectionOverflows() {
        List<Endpoint> hosts = endpoints(10);
        OutlierDetector detector = detector(OutlierPolicy.builder(), hosts);
        respond(detector, hosts.get(0), 500, 5);
        respond(detector, hosts.get(1), 500, 5);
        assertThat(detector.ejectedEndpoints()).containsExactly(hosts.get(0));
        OutlierDetector.Stats stats = detector.stats();
        assertThat(stats.ejectionsOverflow()).isEqualTo(1);
        assertThat(stats.ejectionsDetected()).containsEntry(CONSECUTIVE_5XX, 2L);
        assertThat(stats.ejectionsEnforced()).containsEntry(CONSECUTIVE_5XX, 1L);
        // The refused detection started its run again, as Envoy does: four more are not enough.
        assertThat(status(detector, hosts.get(1), clock.nanos()).consecutive5xx()).isZero();
        respond(detector, hosts.get(1), 500, 4);
        assertThat(detector.stats().ejectionsOverflow()).isEqualTo(1);
        respond(detector, hosts.get(1), 500, 1);
        assertThat(detector.stats().ejectionsOverflow()).isEqualTo(2);
    }

    @Test
    void aTenthOfTwentyIsTwo() {
        List<Endpoint> hosts = endpoints(20);
        OutlierDetector detector = detector(OutlierPolicy.builder(), hosts);
        for (int i = 0; i < 5; i++) {
            respond(detector, hosts.get(i), 500, 5);
        }
        assertThat(detector.ejectedEndpoints()).containsExactlyInAnyOrder(hosts.get(0), hosts.get(1));
        assertThat(detector.stats().ejectionsOverflow()).isEqualTo(3);
    }

    @Test
    void theOnlyEndpointOfAClusterMayBeEjectedAsEnvoyAllowsOneWhateverThePercent() {
        List<Endpoint> one = endpoints(1);
        OutlierDetector detector = detector(OutlierPolicy.builder(), one);
        respond(detector, one.get(0), 500, 5);
        assertThat(detector.isEjected(one.get(0))).isTrue();
        assertThat(detector.belowMinHealth()).isFalse(); // minHealthPercent 0: no panic, the cluster has no endpoint
    }

    @Test
    void threeEndpointsAtTenPercentEjectOneAndNoMore() {
        List<Endpoint> three = endpoints(3);
        OutlierDetector detector = detector(OutlierPolicy.builder(), three);
        respond(detector, three.get(0), 503, 5);
        respond(detector, three.get(1), 503, 5);
        assertThat(detector.ejectedEndpoints()).containsExactly(three.get(0));
    }

    @Test
    void withoutAlwaysEjectOneHostThePercentIsStrictAsInEnvoySince127() {
        List<Endpoint> one = endpoints(1);
        OutlierDetector strict = detector(OutlierPolicy.builder().alwaysEjectOneHost(false), one);
        respond(strict, one.get(0), 500, 5);
        assertThat(strict.isEjected(one.get(0))).isFalse(); // 100% > 10%
        assertThat(strict.stats().ejectionsOverflow()).isEqualTo(1);

        List<Endpoint> ten = endpoints(10);
        OutlierDetector tenHosts = detector(OutlierPolicy.builder().alwaysEjectOneHost(false), ten);
        respond(tenHosts, ten.get(0), 500, 5);
        respond(tenHosts, ten.get(1), 500, 5);
        assertThat(tenHosts.ejectedEndpoints()).containsExactly(ten.get(0)); // 10% <= 10%, 20% > 10%
    }

    @Test
    void alwaysEjectOneHostAllowsTheFirstEvenAtZeroPercentAsEnvoysOptionDoes() {
        List<Endpoint> hosts = endpoints(10);
        OutlierDetector detector = detector(OutlierPolicy.builder().maxEjectionPercent(0), hosts);
        respond(detector, hosts.get(0), 500, 5);
        respond(detector, hosts.get(1), 500, 5);
        assertThat(detector.ejectedEndpoints()).containsExactly(hosts.get(0));

        OutlierDetector none = detector(OutlierPolicy.builder().maxEjectionPercent(0).alwaysEjectOneHost(false), hosts);
        respond(none, hosts.get(0), 500, 5);
        assertThat(none.ejectedEndpoints()).isEmpty();
    }

    @Test
    void aHundredPercentEjectsThemAll() {
        List<Endpoint> hosts = endpoints(4);
        OutlierDetector detector = detector(OutlierPolicy.builder().maxEjectionPercent(100), hosts);
        hosts.forEach(host -> respond(detector, host, 500, 5));
        assertThat(detector.ejectedEndpoints()).containsExactlyInAnyOrderElementsOf(hosts);
        assertThat(detector.stats().ejectionsActive()).isEqualTo(4);
    }

    // --- min health percent

    @Test
    void belowMinHealthPercentEjectionsAreIgnoredUntilEnoughEndpointsReturn() {
        List<Endpoint> hosts = endpoints(4);
        OutlierDetector detector = detector(OutlierPolicy.builder().maxEjectionPercent(100).minHealthPercent(75), hosts);
        respond(detector, hosts.get(0), 500, 5);
        assertThat(detector.belowMinHealth()).isFalse(); // 3 of 4 in: 75%
        assertThat(detector.ejectedEndpoints()).containsExactly(hosts.get(0));

        clock.advanceSeconds(5);
        respond(detector, hosts.get(1), 500, 5);
        assertThat(detector.belowMinHealth()).isTrue(); // 2 of 4: 50% < 75%
        assertThat(detector.ejectedEndpoints()).isEmpty();
        assertThat(detector.isEjected(hosts.get(0))).isFalse();
        assertThat(detector.isEjected(hosts.get(1))).isFalse();
        // The ejections still stand, and still count against the limit and in the statistics.
        assertThat(status(detector, hosts.get(1), clock.nanos()).ejected()).isTrue();
        assertThat(detector.stats().ejectionsActive()).isEqualTo(2);

        clock.advanceSeconds(25); // the first one's 30s are up
        detector.tick(clock.nanos());
        assertThat(detector.belowMinHealth()).isFalse();
        assertThat(detector.ejectedEndpoints()).containsExactly(hosts.get(1));
    }

    @Test
    void theOnlyEndpointStillTakesTrafficWhenMinHealthPercentIsSet() {
        List<Endpoint> one = endpoints(1);
        OutlierDetector detector = detector(OutlierPolicy.builder().minHealthPercent(1), one);
        respond(detector, one.get(0), 500, 5);
        assertThat(status(detector, one.get(0), clock.nanos()).ejected()).isTrue();
        assertThat(detector.belowMinHealth()).isTrue();
        assertThat(detector.isEjected(one.get(0))).isFalse();
        assertThat(detector.ejectedEndpoints()).isEmpty();
    }

    // --- return, ejection time, decay

    @Test
    void anEjectedEndpointReturnsAtTheFirstTickAfterItsEjectionTime() {
        List<Endpoint> hosts = endpoints(10);
        Endpoint bad = hosts.get(0);
        OutlierDetector detector = detector(OutlierPolicy.builder(), hosts);
        respond(detector, bad, 500, 5);
        long ejectedAt = clock.nanos();

        detector.tick(ejectedAt + Duration.ofSeconds(10).toNanos());
        detector.tick(ejectedAt + Duration.ofSeconds(30).toNanos() - 1);
        assertThat(detector.isEjected(bad)).isTrue();
        assertThat(status(detector, bad, ejectedAt + Duration.ofSeconds(20).toNanos()).ejectionTimeLeft()).isEqualTo(Duration.ofSeconds(10));

        detector.tick(ejectedAt + Duration.ofSeconds(30).toNanos());
        assertThat(detector.isEjected(bad)).isFalse();
        assertThat(detector.stats().ejectionsActive()).isZero();
        assertThat(events.log).containsExactly("ejected 10.0.0.0:8080 CONSECUTIVE_5XX 30s", "returned 10.0.0.0:8080");
        OutlierDetector.HostStatus back = status(detector, bad, ejectedAt + Duration.ofSeconds(30).toNanos());
        assertThat(back.ejectionTimeLeft()).isZero();
        assertThat(back.ejectionReason()).contains(CONSECUTIVE_5XX); // the last reason stays for the admin pages
    }

    @Test
    void resultsReportedWhileEjectedDoNotEjectAgainAndEveryRunStartsAfreshOnReturn() {
        List<Endpoint> hosts = endpoints(10);
        Endpoint bad = hosts.get(0);
        OutlierDetector detector = detector(OutlierPolicy.builder().consecutive5xxErrors(3).consecutiveGatewayErrors(5), hosts);
        respond(detector, bad, 503, 3); // ejected for 5xx; the gateway run stands at 3
        respond(detector, bad, 503, 10); // attempts that were in flight
        assertThat(detector.stats().ejectionsDetected()).containsEntry(CONSECUTIVE_5XX, 1L).containsEntry(CONSECUTIVE_GATEWAY_FAILURE, 0L);

        detector.tick(clock.advanceSeconds(30));
        assertThat(detector.isEjected(bad)).isFalse();
        OutlierDetector.HostStatus back = status(detector, bad, clock.nanos());
        assertThat(back.consecutive5xx()).isZero();
        assertThat(back.consecutiveGatewayErrors()).isZero();
        respond(detector, bad, 503, 2);
        assertThat(detector.isEjected(bad)).isFalse();
    }

    @Test
    void eachEjectionLastsTheBaseTimesTheTimesEjectedCappedByTheMaximum() {
        List<Endpoint> hosts = endpoints(10);
        Endpoint bad = hosts.get(0);
        OutlierDetector detector = detector(
                OutlierPolicy.builder().baseEjectionTime(Duration.ofSeconds(30)).maxEjectionTime(Duration.ofSeconds(100)), hosts);
        List<Long> lengths = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            respond(detector, bad, 500, 5);
            Duration length = status(detector, bad, clock.nanos()).ejectionTime();
            lengths.add(length.toSeconds());
            detector.tick(clock.advance(length)); // returns at once: no interval passes for decay
        }
        assertThat(lengths).containsExactly(30L, 60L, 90L, 100L, 100L, 100L);
        assertThat(status(detector, bad, clock.nanos()).timesEjected()).isEqualTo(6);
    }

    @Test
    void theDefaultCapIsFiveMinutes() {
        List<Endpoint> hosts = endpoints(10);
        Endpoint bad = hosts.get(0);
        OutlierDetector detector = detector(OutlierPolicy.builder(), hosts);
        Duration length = Duration.ZERO;
        for (int i = 0; i < 15; i++) {
            respond(detector, bad, 500, 5);
            length = status(detector, bad, clock.nanos()).ejectionTime();
            detector.tick(clock.advance(length));
        }
        assertThat(length).isEqualTo(Duration.ofSeconds(300));
        // The multiplier stops growing just past the cap (Envoy's arithmetic), so that decay soon
        // brings the time below it again.
        assertThat(status(detector, bad, clock.nanos()).ejectionMultiplier()).isEqualTo(11);
    }

    @Test
    void theMultiplierDecaysByOneForEachIntervalTheEndpointStaysIn() {
        List<Endpoint> hosts = endpoints(10);
        Endpoint bad = hosts.get(0);
        OutlierDetector detector = detector(OutlierPolicy.builder(), hosts);
        respond(detector, bad, 500, 5);
        detector.tick(clock.advanceSeconds(30));
        respond(detector, bad, 500, 5);
        assertThat(status(detector, bad, clock.nanos()).ejectionTime()).isEqualTo(Duration.ofSeconds(60));
        detector.tick(clock.advanceSeconds(60));
        assertThat(detector.isEjected(bad)).isFalse();
        assertThat(status(detector, bad, clock.nanos()).ejectionMultiplier()).isEqualTo(2); // not in the tick that returned it

        detector.tick(clock.advanceSeconds(5)); // less than an interval since its return
        assertThat(status(detector, bad, clock.nanos()).ejectionMultiplier()).isEqualTo(2);
        detector.tick(clock.advanceSeconds(5));
        assertThat(status(detector, bad, clock.nanos()).ejectionMultiplier()).isEqualTo(1);

        respond(detector, bad, 500, 5); // third ejection, after one decay: 2 × 30s, not 90s
        assertThat(status(detector, bad, clock.nanos()).ejectionTime()).isEqualTo(Duration.ofSeconds(60));
        detector.tick(clock.advanceSeconds(60));
        for (int i = 0; i < 3; i++) {
            detector.tick(clock.advanceSeconds(10));
        }
        assertThat(status(detector, bad, clock.nanos()).ejectionMultiplier()).isZero(); // never below zero
        respond(detector, bad, 500, 5);
        assertThat(status(detector, bad, clock.nanos()).ejectionTime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(status(detector, bad, clock.nanos()).timesEjected()).isEqualTo(4);
    }

    @Test
    void anEndpointNeverEjectedDoesNotDecay() {
        List<Endpoint> hosts = endpoints(10);
        OutlierDetector detector = detector(OutlierPolicy.builder(), hosts);
        for (int i = 0; i < 5; i++) {
            detector.tick(clock.advanceSeconds(10));
        }
        assertThat(status(detector, hosts.get(0), clock.nanos()).ejectionMultiplier()).isZero();
        assertThat(events.log).isEmpty();
    }

    @Test
    void aReturnFreesRoomForTheNextEjection() {
        List<Endpoint> hosts = endpoints(10);
        OutlierDetector detector = detector(OutlierPolicy.builder(), hosts);
        respond(detector, hosts.get(0), 500, 5);
        respond(detector, hosts.get(1), 500, 5);
        assertThat(detector.ejectedEndpoints()).containsExactly(hosts.get(0));
        detector.tick(clock.advanceSeconds(30));
        respond(detector, hosts.get(1), 500, 5);
        assertThat(detector.ejectedEndpoints()).containsExactly(hosts.get(1));
    }

    // --- membership

    @Test
    void endpointsThatLeaveAreForgottenAndFreeTheirShareOfTheLimit() {
        List<Endpoint> hosts = endpoints(10);
        OutlierDetector detector = detector(OutlierPolicy.builder(), hosts);
        respond(detector, hosts.get(0), 500, 5);
        respond(detector, hosts.get(1), 500, 4);

        detector.retain(hosts.subList(1, 10));
        assertThat(detector.ejectedEndpoints()).isEmpty();
        assertThat(detector.stats().ejectionsActive()).isZero();
        assertThat(detector.hostStatus(hosts.get(0), clock.nanos())).isEmpty();
        assertThat(status(detector, hosts.get(1), clock.nanos()).consecutive5xx()).isEqualTo(4); // kept
        respond(detector, hosts.get(0), 500, 5); // a late result for a gone endpoint
        assertThat(detector.hostStatus(hosts.get(0), clock.nanos())).isEmpty();

        respond(detector, hosts.get(1), 500, 1);
        assertThat(detector.ejectedEndpoints()).containsExactly(hosts.get(1));
        detector.tick(clock.advanceSeconds(60));
        assertThat(events.log).containsExactly(
                "ejected 10.0.0.0:8080 CONSECUTIVE_5XX 30s", "ejected 10.0.0.1:8080 CONSECUTIVE_5XX 30s", "returned 10.0.0.1:8080");
    }

    @Test
    void endpointsThatJoinStartHealthyAndCountTowardsTheLimit() {
        List<Endpoint> ten = endpoints(10);
        OutlierDetector detector = detector(OutlierPolicy.builder(), ten.subList(0, 5));
        respond(detector, ten.get(9), 500, 5); // not a member yet
        assertThat(detector.ejectedEndpoints()).isEmpty();

        respond(detector, ten.get(0), 500, 5);
        Set<Endpoint> all = Set.copyOf(ten);
        detector.retain(all);
        assertThat(detector.ejectedEndpoints()).containsExactly(ten.get(0)); // kept across the update
        assertThat(status(detector, ten.get(9), clock.nanos()).consecutive5xx()).isZero();

        // A tenth of ten endpoints is one, and it is taken.
        respond(detector, ten.get(9), 500, 5);
        assertThat(detector.ejectedEndpoints()).containsExactly(ten.get(0));
    }

    @Test
    void anEndpointThatLeavesAndComesBackStartsAfresh() {
        List<Endpoint> hosts = endpoints(10);
        OutlierDetector detector = detector(OutlierPolicy.builder(), hosts);
        respond(detector, hosts.get(0), 500, 5);
        detector.retain(hosts.subList(1, 10));
        detector.retain(hosts);
        OutlierDetector.HostStatus fresh = status(detector, hosts.get(0), clock.nanos());
        assertThat(fresh.ejected()).isFalse();
        assertThat(fresh.timesEjected()).isZero();
        assertThat(fresh.ejectionMultiplier()).isZero();
    }

    @Test
    void anEmptyClusterHasNothingToEject() {
        OutlierDetector detector = detector(OutlierPolicy.builder().minHealthPercent(50), List.of());
        detector.tick(clock.nanos());
        assertThat(detector.belowMinHealth()).isFalse();
        assertThat(detector.ejectedEndpoints()).isEmpty();
    }

    // --- listener

    @Test
    void aFailingListenerDoesNotStopTheDetector() {
        List<Endpoint> hosts = endpoints(10);
        OutlierDetector detector = new OutlierDetector(OutlierPolicy.DEFAULT, hosts, new OutlierListener() {
            @Override
            public void onEjected(Endpoint endpoint, EjectionReason reason, Duration ejectionTime) {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void onUnejected(Endpoint endpoint) {
                throw new IllegalStateException("listener bug");
            }
        });
        respond(detector, hosts.get(0), 500, 5);
        assertThat(detector.isEjected(hosts.get(0))).isTrue();
        detector.tick(clock.advanceSeconds(30));
        assertThat(detector.isEjected(hosts.get(0))).isFalse();
    }
}
