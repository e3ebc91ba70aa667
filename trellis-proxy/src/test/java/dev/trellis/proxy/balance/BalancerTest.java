package dev.trellis.proxy.balance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BalancerTest {
    static final List<Endpoint> THREE = IntStream.range(0, 3).mapToObj(i -> new Endpoint("10.0.0." + i, 80, Map.of())).toList();

    /** A request with the given hash key, or none. */
    record Request(String hashKey) implements PickContext {}

    static final Request NO_KEY = new Request(null);

    @Test
    void roundRobinVisitsEachEndpointInTurn() {
        Balancer balancer = Balancer.create(LbPolicy.ROUND_ROBIN, THREE);
        Request request = NO_KEY;
        for (int i = 0; i < 30; i++) {
            assertThat(balancer.pick(request)).isSameAs(THREE.get(i % 3));
        }
    }

    @Test
    void leastRequestAvoidsTheBusyEndpoint() {
        List<Endpoint> two = List.of(new Endpoint("10.0.0.1", 80, Map.of()), new Endpoint("10.0.0.2", 80, Map.of()));
        for (int i = 0; i < 5; i++) {
            two.get(0).requestStarted();
        }
        Balancer balancer = Balancer.create(LbPolicy.LEAST_REQUEST, two);
        for (int i = 0; i < 50; i++) {
            assertThat(balancer.pick(NO_KEY)).isSameAs(two.get(1));
        }
    }

    @Test
    void emptyClusterPicksNothing() {
        for (LbPolicy policy : LbPolicy.values()) {
            assertThat(Balancer.create(policy, List.of()).pick(new Request("k"))).isNull();
        }
    }

    @Test
    void ringHashIsStickyAndSpreads() {
        Balancer balancer = Balancer.create(LbPolicy.RING_HASH, THREE);
        Map<Endpoint, Integer> spread = new HashMap<>();
        for (int user = 0; user < 3000; user++) {
            Endpoint first = balancer.pick(new Request("u" + user));
            assertThat(balancer.pick(new Request("u" + user))).isSameAs(first);
            spread.merge(first, 1, Integer::sum);
        }
        assertThat(spread.values()).allSatisfy(n -> assertThat(n).isBetween(700, 1300));
    }

    @Test
    void ringHashMovesOnlyTheRemovedEndpointsKeys() {
        Balancer all = Balancer.create(LbPolicy.RING_HASH, THREE);
        Balancer fewer = Balancer.create(LbPolicy.RING_HASH, THREE.subList(0, 2));
        for (int i = 0; i < 1000; i++) {
            Request request = new Request("192.168.1." + i);
            Endpoint before = all.pick(request);
            if (before != THREE.get(2)) {
                assertThat(fewer.pick(request)).isSameAs(before);
            }
        }
    }

    @Test
    void ringHashWithoutAKeyPicksAtRandom() {
        Balancer balancer = Balancer.create(LbPolicy.RING_HASH, THREE);
        Map<Endpoint, Integer> spread = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            spread.merge(balancer.pick(NO_KEY), 1, Integer::sum);
        }
        assertThat(spread).hasSize(3);
    }
}
