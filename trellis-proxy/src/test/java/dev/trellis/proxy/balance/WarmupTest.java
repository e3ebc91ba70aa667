package dev.trellis.proxy.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WarmupTest {
    static final BalancerTest.Request NO_KEY = BalancerTest.NO_KEY;

    final FakeClock clock = new FakeClock();
    final LbSettings tenSeconds = LbSettings.DEFAULTS.withWarmup(Duration.ofSeconds(10));
    final Endpoint a = new Endpoint("10.0.2.1", 80, Map.of());
    final Endpoint b = new Endpoint("10.0.2.2", 80, Map.of());
    final Endpoint c = new Endpoint("10.0.2.3", 80, Map.of());

    /** The cluster starts with a and b (no warm-up for a cluster's first endpoints); c joins now. */
    Balancer joined(LbPolicy policy, LbSettings settings) {
        Balancers.create(policy, List.of(a, b), settings, clock.env(1));
        return Balancers.create(policy, List.of(a, b, c), settings, clock.env(1));
    }

    double shareOfC(Balancer balancer, int picks) {
        int n = 0;
        for (int i = 0; i < picks; i++) {
            n += balancer.pick(NO_KEY) == c ? 1 : 0;
        }
        return (double) n / picks;
    }

    /** c's expected share when its warm-up factor is f and a and b weigh 1. */
    static double share(double f) {
        return f / (2 + f);
    }

    @Test
    void roundRobinRampsANewEndpointUpLinearly() {
        Balancer balancer = joined(LbPolicy.ROUND_ROBIN, tenSeconds);
        clock.advance(Duration.ofSeconds(2));
        assertThat(shareOfC(balancer, 20_000)).isCloseTo(share(0.2), within(0.003));
        clock.advance(Duration.ofSeconds(3));
        assertThat(shareOfC(balancer, 20_000)).isCloseTo(share(0.5), within(0.003));
        clock.advance(Duration.ofSeconds(3));
        assertThat(shareOfC(balancer, 20_000)).isCloseTo(share(0.8), within(0.003));
        clock.advance(Duration.ofSeconds(2));
        List<Endpoint> all = List.of(a, b, c);
        int first = all.indexOf(balancer.pick(NO_KEY));
        for (int i = 1; i < 30; i++) { // warm: exact turns again
            assertThat(balancer.pick(NO_KEY)).isSameAs(all.get((first + i) % 3));
        }
    }

    @Test
    void roundRobinInterleavesAWarmingEndpointsPicks() {
        Balancer balancer = joined(LbPolicy.ROUND_ROBIN, tenSeconds);
        clock.advance(Duration.ofSeconds(5)); // c weighs 0.5: about one pick in five
        int longestRun = 0;
        int run = 0;
        for (int i = 0; i < 1000; i++) {
            run = balancer.pick(NO_KEY) == c ? run + 1 : 0;
            longestRun = Math.max(longestRun, run);
        }
        assertThat(longestRun).isEqualTo(1);
    }

    @Test
    void aJustAddedEndpointGetsTheMinimumWeight() {
        Balancer balancer = joined(LbPolicy.ROUND_ROBIN, tenSeconds);
        clock.advance(Duration.ofMillis(500)); // 5% of the window, below the 10% floor
        assertThat(shareOfC(balancer, 20_000)).isCloseTo(share(0.1), within(0.003));
    }

    @Test
    void aggressionBendsTheRamp() {
        Balancer balancer = joined(LbPolicy.ROUND_ROBIN, LbSettings.DEFAULTS.withWarmup(Duration.ofSeconds(10), 10, 2.0));
        clock.advance(Duration.ofMillis(2500)); // (0.25)^(1/2) = 0.5
        assertThat(shareOfC(balancer, 20_000)).isCloseTo(share(0.5), within(0.003));
    }

    @Test
    void leastRequestRampsANewEndpointUp() {
        Balancer balancer = joined(LbPolicy.LEAST_REQUEST, tenSeconds);
        clock.advance(Duration.ofSeconds(2));
        assertThat(shareOfC(balancer, 20_000)).isCloseTo(share(0.2), within(0.012));
        clock.advance(Duration.ofSeconds(4));
        assertThat(shareOfC(balancer, 20_000)).isCloseTo(share(0.6), within(0.012));
        clock.advance(Duration.ofSeconds(4));
        assertThat(shareOfC(balancer, 20_000)).isCloseTo(share(1), within(0.012));
    }

    @Test
    void leastRequestWeighsInFlightRequestsByWarmUpWeight() {
        Balancer balancer = joined(LbPolicy.LEAST_REQUEST, tenSeconds);
        clock.advance(Duration.ofSeconds(5)); // c weighs 0.5
        a.requestStarted();
        b.requestStarted();
        c.requestStarted(); // c: 1 / 0.5 = 2 per unit of weight, a and b 1
        assertThat(shareOfC(balancer, 5000)).as("c loses every pair").isZero();
        a.requestStarted();
        b.requestStarted(); // a and b: 2 per unit, c 2: ties go to the first drawn
        assertThat(shareOfC(balancer, 20_000)).isCloseTo(share(0.5), within(0.012));
    }

    @Test
    void theWarmUpStartSurvivesAConfigurationThatKeepsTheEndpoint() {
        joined(LbPolicy.ROUND_ROBIN, tenSeconds);
        clock.advance(Duration.ofSeconds(5));
        Endpoint d = new Endpoint("10.0.2.4", 80, Map.of());
        Balancer reloaded = Balancers.create(LbPolicy.ROUND_ROBIN, List.of(a, b, c, d), tenSeconds, clock.env(1));
        clock.advance(Duration.ofSeconds(1));
        int cPicks = 0;
        int dPicks = 0;
        for (int i = 0; i < 30_000; i++) {
            Endpoint picked = reloaded.pick(NO_KEY);
            cPicks += picked == c ? 1 : 0;
            dPicks += picked == d ? 1 : 0;
        }
        // c is 6 s into its warm-up (0.6), d 1 s into its own (0.1)
        assertThat(cPicks / 30_000.0).isCloseTo(0.6 / 2.7, within(0.003));
        assertThat(dPicks / 30_000.0).isCloseTo(0.1 / 2.7, within(0.003));
    }

    @Test
    void aClustersFirstEndpointsDoNotWarmUp() {
        Balancer balancer = Balancers.create(LbPolicy.ROUND_ROBIN, List.of(a, b, c), tenSeconds, clock.env(1));
        for (int i = 0; i < 30; i++) {
            assertThat(balancer.pick(NO_KEY)).isSameAs(List.of(a, b, c).get(i % 3));
        }
    }

    @Test
    void endpointsSeenBeforeWarmUpWasTurnedOnDoNotWarmUp() {
        Balancers.create(LbPolicy.ROUND_ROBIN, List.of(a, b), LbSettings.DEFAULTS, clock.env(1));
        clock.advance(Duration.ofSeconds(1));
        Balancers.create(LbPolicy.ROUND_ROBIN, List.of(a, b, c), LbSettings.DEFAULTS, clock.env(1));
        clock.advance(Duration.ofSeconds(20));
        Balancer balancer = Balancers.create(LbPolicy.ROUND_ROBIN, List.of(a, b, c), tenSeconds, clock.env(1));
        assertThat(shareOfC(balancer, 3000)).isCloseTo(1 / 3.0, within(0.001));
    }

    @Test
    void otherPoliciesDoNotWarmUp() {
        Balancer random = joined(LbPolicy.RANDOM, tenSeconds);
        clock.advance(Duration.ofSeconds(1));
        assertThat(shareOfC(random, 20_000)).isCloseTo(1 / 3.0, within(0.015));
    }

    @Test
    void theRampContinuesThroughHealthChanges() {
        TieredBalancer first = TieredBalancer.create(LbPolicy.ROUND_ROBIN, LocalityTiers.single(List.of(a, b)), tenSeconds, clock.env(1));
        first.pick(NO_KEY);
        TieredBalancer balancer = TieredBalancer.create(LbPolicy.ROUND_ROBIN, LocalityTiers.single(List.of(a, b, c)), tenSeconds, clock.env(1));
        clock.advance(Duration.ofSeconds(4));
        balancer.updateHealth(e -> e != b);
        assertThat(shareOfC(balancer, 20_000)).as("a weighs 1, c 0.4").isCloseTo(0.4 / 1.4, within(0.003));
        balancer.updateHealth(e -> true);
        assertThat(shareOfC(balancer, 20_000)).isCloseTo(share(0.4), within(0.003));
    }

    @Test
    void firstSeenIsSetOnceWhateverTheRace() throws Exception {
        Endpoint seen = new Endpoint("10.0.2.9", 80, Map.of());
        Balancers.create(LbPolicy.ROUND_ROBIN, List.of(a), tenSeconds, clock.env(1)); // a cluster already running
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 1000; i++) {
                    clock.advance(Duration.ofMillis(1));
                    Balancers.create(LbPolicy.ROUND_ROBIN, List.of(a, seen), tenSeconds, LbEnv.withClock(clock));
                }
            }));
        }
        long first = seen.stats().firstSeen.get();
        for (Thread thread : threads) {
            thread.join();
        }
        long settled = seen.stats().firstSeen.get();
        assertThat(settled).isNotEqualTo(EndpointStats.UNSEEN).isNotEqualTo(EndpointStats.ALWAYS_WARM);
        if (first != EndpointStats.UNSEEN) {
            assertThat(settled).isEqualTo(first);
        }
        assertThat(settled).isLessThan(clock.getAsLong());
    }
}
