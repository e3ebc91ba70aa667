package dev.trellis.proxy.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.trellis.proxy.balance.BalancerTest.Request;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PeakEwmaBalancerTest {
    static final long MS = 1_000_000;
    static final Request NO_KEY = BalancerTest.NO_KEY;

    final FakeClock clock = new FakeClock();
    final LbSettings settings = LbSettings.DEFAULTS; // decay 10 s, default RTT 30 ms
    final PeakEwmaBalancer.Ewma ewma = new PeakEwmaBalancer.Ewma(settings, clock);

    static List<Endpoint> endpoints(int n) {
        return IntStream.range(0, n).mapToObj(i -> new Endpoint("10.0.1." + i, 80, Map.of())).toList();
    }

    Balancer balancer(List<Endpoint> endpoints) {
        return Balancers.create(LbPolicy.PEAK_EWMA, endpoints, settings, clock.env(7));
    }

    /** A balancer whose endpoints' default estimates have decayed away, so that observations set them. */
    Balancer settled(List<Endpoint> endpoints) {
        Balancer balancer = balancer(endpoints);
        clock.advance(Duration.ofMinutes(5));
        return balancer;
    }

    Map<Endpoint, Integer> spread(Balancer balancer, int picks) {
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < picks; i++) {
            counts.merge(balancer.pick(NO_KEY), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void anEndpointNotMeasuredStartsAtTheDefaultRttWhichDecays() {
        Endpoint endpoint = endpoints(1).get(0);
        balancer(List.of(endpoint));
        long start = clock.getAsLong();
        assertThat(ewma.estimate(endpoint, start)).isEqualTo(30.0 * MS);
        clock.advance(Duration.ofSeconds(10));
        assertThat(ewma.estimate(endpoint, clock.getAsLong())).isCloseTo(30.0 * MS / Math.E, within(1.0));
    }

    @Test
    void theFirstObservationReplacesTheDefault() {
        Endpoint endpoint = endpoints(1).get(0);
        Balancer balancer = balancer(List.of(endpoint));
        balancer.record(endpoint, 1 * MS, clock.getAsLong());
        assertThat(ewma.estimate(endpoint, clock.getAsLong())).as("a measurement, not a blend with the assumption")
                .isEqualTo(1.0 * MS);
    }

    @Test
    void aSlowerObservationIsTakenAtOnce() {
        Endpoint endpoint = endpoints(1).get(0);
        Balancer balancer = balancer(List.of(endpoint));
        balancer.record(endpoint, 10 * MS, clock.getAsLong());
        clock.advance(Duration.ofMillis(1));
        balancer.record(endpoint, 200 * MS, clock.getAsLong());
        assertThat(ewma.estimate(endpoint, clock.getAsLong())).isEqualTo(200.0 * MS);
    }

    @Test
    void aFasterObservationPullsTheEstimateDownWithTheDecayTimeConstant() {
        Endpoint endpoint = endpoints(1).get(0);
        Balancer balancer = balancer(List.of(endpoint));
        balancer.record(endpoint, 100 * MS, clock.getAsLong());

        clock.advance(Duration.ofMillis(1));
        balancer.record(endpoint, 10 * MS, clock.getAsLong());
        assertThat(ewma.estimate(endpoint, clock.getAsLong()))
                .as("1 ms after the last observation, a fast one barely moves the estimate")
                .isBetween(99.0 * MS, 100.0 * MS);

        double before = ewma.estimate(endpoint, clock.getAsLong());
        clock.advance(Duration.ofSeconds(10)); // one time constant
        balancer.record(endpoint, 10 * MS, clock.getAsLong());
        double w = 1 / Math.E;
        assertThat(ewma.estimate(endpoint, clock.getAsLong())).isCloseTo(before * w * w + 10 * MS * (1 - w), within(1.0));

        for (int i = 0; i < 100; i++) {
            clock.advance(Duration.ofSeconds(1));
            balancer.record(endpoint, 10 * MS, clock.getAsLong());
        }
        assertThat(ewma.estimate(endpoint, clock.getAsLong()))
                .as("steady observations: the estimate settles on them, not below")
                .isEqualTo(10.0 * MS);
    }

    @Test
    void betweenObservationsTheEstimateDecaysTowardZero() {
        Endpoint endpoint = endpoints(1).get(0);
        Balancer balancer = balancer(List.of(endpoint));
        balancer.record(endpoint, 500 * MS, clock.getAsLong());
        long start = clock.getAsLong();
        assertThat(ewma.estimate(endpoint, start + 10_000 * MS)).isCloseTo(500 * MS / Math.E, within(1.0));
        assertThat(ewma.estimate(endpoint, start + 20_000 * MS)).isCloseTo(500 * MS / Math.E / Math.E, within(1.0));
        assertThat(ewma.estimate(endpoint, start + 20_000 * MS))
                .as("reading writes nothing").isCloseTo(500 * MS / Math.E / Math.E, within(1.0));
    }

    @Test
    void theTwoChoicesAvoidASlowEndpoint() {
        List<Endpoint> three = endpoints(3);
        Balancer balancer = settled(three);
        long now = clock.getAsLong();
        balancer.record(three.get(0), 10 * MS, now);
        balancer.record(three.get(1), 12 * MS, now);
        balancer.record(three.get(2), 500 * MS, now);
        Map<Endpoint, Integer> counts = spread(balancer, 3000);
        assertThat(counts.getOrDefault(three.get(2), 0)).isZero();
        assertThat(counts.get(three.get(0))).as("the fastest wins every pair it is in").isBetween(1800, 2200);
        assertThat(counts.get(three.get(1))).isBetween(800, 1200);
    }

    @Test
    void theTwoChoicesAvoidABusyEndpoint() {
        List<Endpoint> three = endpoints(3);
        Balancer balancer = settled(three);
        long now = clock.getAsLong();
        three.forEach(e -> balancer.record(e, 10 * MS, now));
        three.get(1).requestStarted();
        three.get(1).requestStarted(); // cost 3 × 10 ms
        Map<Endpoint, Integer> counts = spread(balancer, 3000);
        assertThat(counts.getOrDefault(three.get(1), 0)).isZero();
        three.get(1).requestEnded();
        three.get(1).requestEnded();
        assertThat(spread(balancer, 3000).get(three.get(1))).as("idle again, it takes its share").isBetween(800, 1200);
    }

    @Test
    void aSlowEndpointIsTriedAgainOnceItsPeakHasDecayed() {
        List<Endpoint> three = endpoints(3);
        Balancer balancer = settled(three);
        Endpoint slow = three.get(2);
        balancer.record(slow, 500 * MS, clock.getAsLong());
        for (int second = 0; second <= 60; second++) {
            long now = clock.getAsLong();
            balancer.record(three.get(0), 10 * MS, now);
            balancer.record(three.get(1), 10 * MS, now);
            int picked = spread(balancer, 300).getOrDefault(slow, 0);
            if (second <= 30) { // 500 ms × e^-3 = 25 ms > 10 ms
                assertThat(picked).as("second %d", second).isZero();
            }
            clock.advance(Duration.ofSeconds(1));
        }
        // 500 ms × e^-6 ≈ 1.2 ms: now the cheapest until it is measured again
        long now = clock.getAsLong();
        balancer.record(three.get(0), 10 * MS, now);
        balancer.record(three.get(1), 10 * MS, now);
        assertThat(spread(balancer, 300).get(slow)).isGreaterThan(150);
    }

    @Test
    void anEndpointNeverMeasuredIsProbedButNotFloodedBeforeItAnswers() {
        List<Endpoint> two = endpoints(2);
        Endpoint measured = two.get(0);
        Endpoint fresh = two.get(1);
        settled(List.of(measured)).record(measured, 5 * MS, clock.getAsLong());
        Balancer balancer = balancer(two); // the fresh one joins now
        assertThat(balancer.pick(NO_KEY)).as("idle and never measured: probed at once").isEqualTo(fresh);
        fresh.requestStarted(); // the probe is in flight: 30 ms assumed against 5 ms measured
        assertThat(spread(balancer, 200).getOrDefault(fresh, 0)).isZero();
        fresh.requestEnded();
        balancer.record(fresh, 2 * MS, clock.getAsLong()); // it answers in 2 ms: now the cheaper one
        assertThat(spread(balancer, 200).get(fresh)).isEqualTo(200);
    }

    @Test
    void estimatesSurviveAReloadThatKeepsTheEndpoint() {
        List<Endpoint> two = endpoints(2);
        Balancer before = balancer(two);
        before.record(two.get(1), 400 * MS, clock.getAsLong());
        Balancer after = balancer(List.of(two.get(1), two.get(0)));
        assertThat(ewma.estimate(two.get(1), clock.getAsLong())).isEqualTo(400.0 * MS);
        assertThat(spread(after, 500)).containsOnlyKeys(two.get(0));
    }

    @Test
    void latenciesAreRecordedThroughATieredBalancerToo() {
        List<Endpoint> two = endpoints(2);
        TieredBalancer balancer = TieredBalancer.create(LbPolicy.PEAK_EWMA, LocalityTiers.single(two), settings, clock.env(3));
        balancer.record(two.get(0), 300 * MS, clock.getAsLong());
        assertThat(ewma.estimate(two.get(0), clock.getAsLong())).isEqualTo(300.0 * MS);
        for (int i = 0; i < 200; i++) {
            assertThat(balancer.pick(NO_KEY)).isSameAs(two.get(1));
        }
    }

    @Test
    void otherPoliciesIgnoreLatencies() {
        List<Endpoint> two = endpoints(2);
        Balancer roundRobin = Balancers.create(LbPolicy.ROUND_ROBIN, two, settings, clock.env(1));
        roundRobin.record(two.get(0), 300 * MS, clock.getAsLong());
        assertThat(two.get(0).stats().rtt.get()).isNull();
    }

    @Test
    void concurrentObservationsLoseNone() throws Exception {
        Endpoint endpoint = endpoints(1).get(0);
        Balancer balancer = balancer(List.of(endpoint));
        long now = clock.getAsLong();
        // At one instant a slower observation replaces the estimate and a faster one leaves it, so
        // with ever slower observations the estimate only grows: right after recording a latency a
        // thread must read at least that much back, and the end is the slowest. A write computed
        // from a stale estimate would show as less.
        AtomicLong latency = new AtomicLong(100 * MS);
        AtomicLong lost = new AtomicLong();
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            writers.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 200_000; i++) {
                    long mine = latency.incrementAndGet();
                    balancer.record(endpoint, mine, now);
                    if (ewma.estimate(endpoint, now) < mine) {
                        lost.incrementAndGet();
                    }
                }
            }));
        }
        for (Thread writer : writers) {
            writer.join();
        }
        assertThat(lost.get()).as("observations overwritten by stale estimates").isZero();
        assertThat(ewma.estimate(endpoint, now)).isEqualTo((double) latency.get());
    }

    @Test
    void picksAndObservationsFromManyThreadsAtOnce() throws Exception {
        List<Endpoint> four = endpoints(4);
        Balancer balancer = Balancers.create(LbPolicy.PEAK_EWMA, four, settings, LbEnv.withClock(clock));
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 20_000; i++) {
                        Endpoint endpoint = balancer.pick(NO_KEY);
                        endpoint.requestStarted();
                        // the last endpoint answers slowly
                        balancer.record(endpoint, endpoint == four.get(3) ? 800 * MS : 5 * MS, clock.getAsLong());
                        endpoint.requestEnded();
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(failures).isEmpty();
        assertThat(four).allSatisfy(e -> assertThat(e.activeRequests()).isZero());
        assertThat(ewma.estimate(four.get(3), clock.getAsLong())).isEqualTo(800.0 * MS);
        assertThat(spread(balancer, 3000).getOrDefault(four.get(3), 0)).isZero();
    }
}
