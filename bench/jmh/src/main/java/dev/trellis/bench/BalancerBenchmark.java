// Measures Balancer.pick, which every request attempt runs once, for each LbPolicy over 16
// endpoints: the bare balancer (Balancer.create), the TieredBalancer every cluster wraps it in
// (one tier, one group: a cluster without locality-aware balancing), and a TieredBalancer over two
// priority tiers of two weighted localities each, three endpoints of tier 0 ejected, so that some
// traffic spills to tier 1. Endpoints carry uneven in-flight counts and measured latencies, so
// least-request and peak-EWMA compare real numbers; ring hash gets one of 64 keys per pick.
package dev.trellis.bench;

import dev.trellis.proxy.balance.Balancer;
import dev.trellis.proxy.balance.Endpoint;
import dev.trellis.proxy.balance.LbPolicy;
import dev.trellis.proxy.balance.LbSettings;
import dev.trellis.proxy.balance.Locality;
import dev.trellis.proxy.balance.LocalityTiers;
import dev.trellis.proxy.balance.PickContext;
import dev.trellis.proxy.balance.TieredBalancer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

public class BalancerBenchmark extends HotPathBenchmark {
    private static final int ENDPOINTS = 16;
    private static final int KEYS = 64;

    @Param({"ROUND_ROBIN", "LEAST_REQUEST", "PEAK_EWMA", "RING_HASH", "RANDOM"})
    public LbPolicy policy;

    private Balancer plain;
    private TieredBalancer tiered;
    private TieredBalancer zones;
    private final Request request = new Request();
    private final String[] keys = new String[KEYS];
    private int next;

    /** What the router hands a balancer: here only a hash key, which only ring hash asks for. */
    private static final class Request implements PickContext {
        String key;

        @Override
        public String hashKey() {
            return key;
        }
    }

    @Setup
    public void setUp() {
        // Each balancer gets endpoints of its own: their in-flight counts and latencies live on them.
        List<Endpoint> forPlain = endpoints("10.0.1.");
        plain = Balancer.create(policy, forPlain);
        List<Endpoint> forTiered = endpoints("10.0.2.");
        tiered = TieredBalancer.create(policy, LocalityTiers.single(forTiered), LbSettings.DEFAULTS);
        List<Endpoint> all = endpoints("10.0.3.");
        zones = TieredBalancer.create(policy, new LocalityTiers(List.of(
                new LocalityTiers.Tier(List.of(
                        group("eu-west/a", 2, all.subList(0, 4)),
                        group("eu-west/b", 1, all.subList(4, 8)))),
                new LocalityTiers.Tier(List.of(
                        group("eu-central/a", 1, all.subList(8, 12)),
                        group("eu-central/b", 1, all.subList(12, 16)))))),
                LbSettings.DEFAULTS);
        Set<Endpoint> ejected = Set.of(all.get(0), all.get(1), all.get(5));
        zones.updateHealth(e -> !ejected.contains(e));
        if (!(zones.tierLoads().get(1) > 0)) {
            throw new IllegalStateException("tier 1 takes no traffic: " + zones.tierLoads());
        }
        measured(plain, forPlain);
        measured(tiered, forTiered);
        measured(zones, all);
        for (int i = 0; i < KEYS; i++) {
            keys[i] = "user-" + (1000 + i * 7919);
        }
    }

    @Benchmark
    public Endpoint pick() {
        request.key = keys[next++ & (KEYS - 1)];
        return plain.pick(request);
    }

    /** A cluster's balancer as Cluster builds it for endpoints without priorities or locality weights. */
    @Benchmark
    public Endpoint pickTiered() {
        request.key = keys[next++ & (KEYS - 1)];
        return tiered.pick(request);
    }

    /** Two tiers of two weighted localities, tier 0 short of healthy endpoints. */
    @Benchmark
    public Endpoint pickTieredZones() {
        request.key = keys[next++ & (KEYS - 1)];
        return zones.pick(request);
    }

    private static List<Endpoint> endpoints(String subnet) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < ENDPOINTS; i++) {
            Endpoint endpoint = new Endpoint(subnet + (i + 1), 8080, Map.of());
            for (int r = 0; r < i % 4; r++) {
                endpoint.requestStarted(); // 0 to 3 requests in flight, never answered here
            }
            endpoints.add(endpoint);
        }
        return endpoints;
    }

    private static LocalityTiers.Group group(String locality, double weight, List<Endpoint> endpoints) {
        return new LocalityTiers.Group(Locality.parse(locality), weight, endpoints);
    }

    /** Gives every endpoint a measured latency, 1 to 5 ms, for the balancers that weigh it. */
    private static void measured(Balancer balancer, List<Endpoint> endpoints) {
        long now = System.nanoTime();
        for (int i = 0; i < endpoints.size(); i++) {
            balancer.record(endpoints.get(i), (1 + i % 5) * 1_000_000L, now);
        }
    }
}
