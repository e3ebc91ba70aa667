package dev.trellis.proxy.balance;

import static dev.trellis.proxy.balance.LocalityTiersTest.at;
import static dev.trellis.proxy.balance.LocalityTiersTest.tiers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.trellis.proxy.balance.BalancerTest.Request;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TieredBalancerTest {
    static final Request NO_KEY = BalancerTest.NO_KEY;

    final FakeClock clock = new FakeClock();
    final List<Endpoint> zone1 = IntStream.range(0, 10).mapToObj(i -> at("us-west/zone1")).toList();
    final List<Endpoint> zone2 = IntStream.range(0, 10).mapToObj(i -> at("us-west/zone2")).toList();
    final List<Endpoint> euWest = IntStream.range(0, 4).mapToObj(i -> at("eu-west/zone1")).toList();
    final List<Endpoint> apSouth = IntStream.range(0, 4).mapToObj(i -> at("ap-south/zone1")).toList();

    // Tiers as the control plane ranks them for a caller in us-west/zone1 (LocalityPriorities in trellis-xds).
    TieredBalancer balancer(LbPolicy policy, LocalityTiers tiers) {
        return balancer(policy, tiers, LbSettings.DEFAULTS);
    }

    TieredBalancer balancer(LbPolicy policy, LocalityTiers tiers, LbSettings settings) {
        return TieredBalancer.create(policy, tiers, settings, clock.env(11));
    }

    static List<Endpoint> concat(List<Endpoint> a, List<Endpoint> b) {
        List<Endpoint> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** The share of picks that landed in each of {@code sets}. */
    static double[] shares(Balancer balancer, int picks, List<List<Endpoint>> sets) {
        double[] shares = new double[sets.size()];
        for (int i = 0; i < picks; i++) {
            Endpoint picked = balancer.pick(NO_KEY);
            for (int s = 0; s < sets.size(); s++) {
                if (sets.get(s).contains(picked)) {
                    shares[s] += 1.0 / picks;
                }
            }
        }
        return shares;
    }

    static java.util.function.Predicate<Endpoint> ejecting(List<Endpoint> endpoints, int count) {
        Set<Endpoint> ejected = new HashSet<>(endpoints.subList(0, count));
        return e -> !ejected.contains(e);
    }

    @Test
    void aHealthyLocalTierTakesAllTheTraffic() {
        TieredBalancer balancer = balancer(LbPolicy.ROUND_ROBIN, tiers(zone1, zone2));
        assertThat(balancer.tierLoads()).containsExactly(1.0, 0.0);
        Set<Endpoint> picked = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            picked.add(balancer.pick(NO_KEY));
        }
        assertThat(picked).containsExactlyInAnyOrderElementsOf(zone1);
    }

    @Test
    void theLocalTierSpillsOverAsItsHealthDropsAndTakesTrafficBackWhenItRecovers() {
        TieredBalancer balancer = balancer(LbPolicy.LEAST_REQUEST, tiers(zone1, zone2));
        List<List<Endpoint>> tiers = List.of(zone1, zone2);

        balancer.updateHealth(ejecting(zone1, 2)); // 80% × 1.4 > 100%
        assertThat(balancer.tierLoads()).containsExactly(1.0, 0.0);

        balancer.updateHealth(ejecting(zone1, 3)); // 70% × 1.4 = 98%
        assertThat(balancer.tierLoads().get(0)).isCloseTo(0.98, within(1e-9));
        assertThat(shares(balancer, 20_000, tiers)[1]).isCloseTo(0.02, within(0.005));

        balancer.updateHealth(ejecting(zone1, 5)); // 50% × 1.4 = 70%
        assertThat(balancer.tierLoads().get(0)).isCloseTo(0.70, within(1e-9));
        assertThat(shares(balancer, 20_000, tiers)[0]).isCloseTo(0.70, within(0.012));

        balancer.updateHealth(ejecting(zone1, 10));
        assertThat(balancer.tierLoads()).containsExactly(0.0, 1.0);
        assertThat(shares(balancer, 2000, tiers)[1]).isEqualTo(1.0, within(1e-9));

        balancer.updateHealth(e -> true);
        assertThat(balancer.tierLoads()).containsExactly(1.0, 0.0);
        assertThat(shares(balancer, 2000, tiers)[0]).isEqualTo(1.0, within(1e-9));
    }

    @Test
    void ejectedEndpointsAreNeverPickedWhateverThePolicy() {
        for (LbPolicy policy : LbPolicy.values()) {
            TieredBalancer balancer = balancer(policy, LocalityTiers.single(zone1));
            balancer.updateHealth(ejecting(zone1, 4));
            for (int i = 0; i < 2000; i++) {
                assertThat(balancer.pick(new Request(i % 2 == 0 ? null : "user" + i)))
                        .as(policy.name()).isIn(zone1.subList(4, 10));
            }
        }
    }

    @Test
    void whenTheNextTiersAreDownTooTheLocalOneTakesEverything() {
        TieredBalancer balancer = balancer(LbPolicy.ROUND_ROBIN, tiers(zone1, zone2));
        Set<Endpoint> ejected = new HashSet<>(zone1.subList(0, 5));
        ejected.addAll(zone2);
        balancer.updateHealth(e -> !ejected.contains(e));
        // health 0.7 + 0: normalised to 1
        assertThat(balancer.tierLoads()).containsExactly(1.0, 0.0);
    }

    @Test
    void loadCascadesThroughSeveralTiers() {
        TieredBalancer balancer = balancer(LbPolicy.RANDOM, tiers(zone1, zone2, euWest));
        Set<Endpoint> ejected = new HashSet<>(zone1.subList(0, 8)); // 20% × 1.4 = 28%
        ejected.addAll(zone2.subList(0, 6)); // 40% × 1.4 = 56%
        balancer.updateHealth(e -> !ejected.contains(e));
        List<Double> loads = balancer.tierLoads();
        assertThat(loads.get(0)).isCloseTo(0.28, within(1e-9));
        assertThat(loads.get(1)).isCloseTo(0.56, within(1e-9));
        assertThat(loads.get(2)).isCloseTo(0.16, within(1e-9));
        double[] shares = shares(balancer, 20_000, List.of(zone1, zone2, euWest));
        assertThat(shares[0]).isCloseTo(0.28, within(0.012));
        assertThat(shares[1]).isCloseTo(0.56, within(0.012));
        assertThat(shares[2]).isCloseTo(0.16, within(0.012));
    }

    @Test
    void failoverFollowsTheConfiguredRegionOrder() {
        // failover from us-west to ap-south: zone1, zone2, ap-south, then eu-west
        TieredBalancer balancer = balancer(LbPolicy.ROUND_ROBIN, tiers(zone1, zone2, apSouth, euWest));
        Set<Endpoint> ejected = new HashSet<>();
        List<List<Endpoint>> order = List.of(zone1, zone2, apSouth, euWest);
        for (int down = 0; down < order.size(); down++) {
            Set<Endpoint> picked = new HashSet<>();
            for (int i = 0; i < 500; i++) {
                picked.add(balancer.pick(NO_KEY));
            }
            assertThat(picked).as("with %d localities down", down).containsExactlyInAnyOrderElementsOf(order.get(down));
            ejected.addAll(order.get(down));
            balancer.updateHealth(e -> !ejected.contains(e));
        }
        assertThat(balancer.pick(NO_KEY)).as("nothing healthy, panic disabled").isNull();
        balancer.updateHealth(e -> true);
        assertThat(balancer.pick(NO_KEY)).isIn(zone1);
    }

    @Test
    void distributeWeightsShareTheTrafficAndTheirLocalitiesHealthScalesThem() {
        // distribute from us-west/zone1/*: 80 to us-west/zone1/*, 20 to us-west/zone2/*, none to eu-west
        TieredBalancer balancer = balancer(LbPolicy.ROUND_ROBIN, new LocalityTiers(List.of(new LocalityTiers.Tier(List.of(
                new LocalityTiers.Group(Locality.parse("us-west/zone1"), 80, zone1),
                new LocalityTiers.Group(Locality.parse("us-west/zone2"), 20, zone2))))));
        double[] shares = shares(balancer, 20_000, List.of(zone1, zone2, euWest));
        assertThat(shares[0]).isCloseTo(0.8, within(0.012));
        assertThat(shares[1]).isCloseTo(0.2, within(0.012));
        assertThat(shares[2]).as("a locality the control plane left out").isZero();

        balancer.updateHealth(ejecting(zone1, 5)); // zone1: 80 × min(1, 1.4 × 0.5) = 56
        shares = shares(balancer, 20_000, List.of(zone1, zone2, euWest));
        assertThat(shares[0]).isCloseTo(56.0 / 76, within(0.012));
        assertThat(shares[1]).isCloseTo(20.0 / 76, within(0.012));
    }

    @Test
    void belowThePanicThresholdATierBalancesOverAllItsEndpoints() {
        LbSettings panicAtHalf = LbSettings.DEFAULTS.withPanicThresholdPercent(50);
        TieredBalancer balancer = balancer(LbPolicy.ROUND_ROBIN, LocalityTiers.single(zone1), panicAtHalf);
        balancer.updateHealth(ejecting(zone1, 4)); // 60% healthy: no panic
        Set<Endpoint> picked = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            picked.add(balancer.pick(NO_KEY));
        }
        assertThat(picked).containsExactlyInAnyOrderElementsOf(zone1.subList(4, 10));

        balancer.updateHealth(ejecting(zone1, 6)); // 40% healthy: panic
        picked.clear();
        for (int i = 0; i < 1000; i++) {
            picked.add(balancer.pick(NO_KEY));
        }
        assertThat(picked).containsExactlyInAnyOrderElementsOf(zone1);
        balancer.updateHealth(ejecting(zone1, 10));
        assertThat(balancer.pick(NO_KEY)).isNotNull();
    }

    @Test
    void withEveryTierInPanicTrafficGoesByEndpointCount() {
        LbSettings panicAtHalf = LbSettings.DEFAULTS.withPanicThresholdPercent(50);
        TieredBalancer balancer = balancer(LbPolicy.RANDOM, tiers(zone1, euWest), panicAtHalf);
        balancer.updateHealth(e -> false);
        assertThat(balancer.tierLoads().get(0)).isCloseTo(10.0 / 14, within(1e-9));
        assertThat(balancer.tierLoads().get(1)).isCloseTo(4.0 / 14, within(1e-9));
    }

    @Test
    void aHashKeyKeepsItsEndpointAcrossTiersWhileTheLoadsHold() {
        TieredBalancer balancer = balancer(LbPolicy.RING_HASH, tiers(zone1, zone2));
        balancer.updateHealth(ejecting(zone1, 5)); // 70 / 30
        Map<String, Endpoint> first = new HashMap<>();
        int inZone1 = 0;
        for (int user = 0; user < 2000; user++) {
            Endpoint picked = balancer.pick(new Request("u" + user));
            first.put("u" + user, picked);
            inZone1 += zone1.contains(picked) ? 1 : 0;
        }
        assertThat(inZone1 / 2000.0).isCloseTo(0.7, within(0.04));
        first.forEach((key, endpoint) -> assertThat(balancer.pick(new Request(key))).isSameAs(endpoint));
        balancer.updateHealth(ejecting(zone1, 5)); // the same health, rebuilt
        first.forEach((key, endpoint) -> assertThat(balancer.pick(new Request(key))).isSameAs(endpoint));
        Set<Endpoint> used = new HashSet<>(first.values());
        assertThat(used).containsAll(zone1.subList(5, 10)).containsAll(zone2);
    }

    @Test
    void theHashKeyIsAskedForOncePerPick() {
        // A cookie hash policy with a ttl makes up a new cookie each time it is asked.
        TieredBalancer balancer = balancer(LbPolicy.RING_HASH, tiers(zone1, zone2));
        balancer.updateHealth(ejecting(zone1, 5));
        int[] asked = new int[1];
        for (int i = 0; i < 100; i++) {
            int n = i;
            balancer.pick(() -> {
                asked[0]++;
                return n % 2 == 0 ? null : "made-up-" + asked[0];
            });
        }
        assertThat(asked[0]).isEqualTo(100);
    }

    @Test
    void anEmptyClusterPicksNothing() {
        TieredBalancer balancer = balancer(LbPolicy.ROUND_ROBIN, LocalityTiers.single(List.of()));
        assertThat(balancer.pick(NO_KEY)).isNull();
        assertThat(balancer.tierLoads()).isEmpty();
    }

    @Test
    void picksFromManyThreadsWhileHealthChanges() throws Exception {
        TieredBalancer balancer = TieredBalancer.create(LbPolicy.LEAST_REQUEST,
                tiers(zone1, zone2), LbSettings.DEFAULTS, clock);
        AtomicBoolean done = new AtomicBoolean();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        List<Thread> pickers = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            pickers.add(Thread.ofPlatform().start(() -> {
                try {
                    while (!done.get()) {
                        Endpoint endpoint = balancer.pick(NO_KEY);
                        if (endpoint == null) {
                            throw new AssertionError("no endpoint while some were healthy");
                        }
                        endpoint.requestStarted();
                        endpoint.requestEnded();
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (int flip = 0; flip < 2000; flip++) {
            balancer.updateHealth(flip % 2 == 0 ? e -> !zone1.contains(e) : e -> !zone2.contains(e));
        }
        balancer.updateHealth(e -> !zone2.contains(e));
        done.set(true);
        for (Thread thread : pickers) {
            thread.join();
        }
        assertThat(failures).isEmpty();
        for (int i = 0; i < 500; i++) {
            assertThat(balancer.pick(NO_KEY)).as("the last health given holds").isIn(zone1);
        }
        assertThat(concat(zone1, zone2)).allSatisfy(e -> assertThat(e.activeRequests()).isZero());
    }

    @Test
    void roundRobinTurnsStayExactAcrossThreads() throws Exception {
        List<Endpoint> three = BalancerTest.THREE;
        Balancer balancer = Balancer.create(LbPolicy.ROUND_ROBIN, three);
        Map<Endpoint, Integer> counts = new java.util.concurrent.ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                Map<Endpoint, Integer> mine = new HashMap<>();
                for (int i = 0; i < 30_000; i++) {
                    mine.merge(balancer.pick(NO_KEY), 1, Integer::sum);
                }
                mine.forEach((e, n) -> counts.merge(e, n, Integer::sum));
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(counts).containsOnly(Map.entry(three.get(0), 40_000), Map.entry(three.get(1), 40_000), Map.entry(three.get(2), 40_000));
    }
}
