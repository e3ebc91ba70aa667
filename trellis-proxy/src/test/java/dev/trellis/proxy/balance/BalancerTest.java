package dev.trellis.proxy.balance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.model.LoadBalancer;
import dev.trellis.model.LoadBalancer.HashKey;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BalancerTest {
    static final List<Endpoint> THREE = IntStream.range(0, 3).mapToObj(i -> new Endpoint("10.0.0." + i, 80, Map.of())).toList();

    /** A request with the given headers and cookies. */
    record Request(Map<String, String> headers, Map<String, String> cookies, Map<String, String> setCookies) implements PickContext {
        Request(Map<String, String> headers) {
            this(headers, Map.of(), new HashMap<>());
        }

        @Override
        public String header(String name) {
            return headers.get(name);
        }

        @Override
        public String cookie(String name) {
            return cookies.get(name);
        }

        @Override
        public String sourceIp() {
            return headers.get("ip");
        }

        @Override
        public void setResponseCookie(String name, String value, String path, Duration ttl) {
            setCookies.put(name, value);
        }
    }

    @Test
    void roundRobinVisitsEachEndpointInTurn() {
        Balancer balancer = Balancer.create(new LoadBalancer.Simple(LoadBalancer.Simple.Algorithm.ROUND_ROBIN), THREE);
        Request request = new Request(Map.of());
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
        Balancer balancer = Balancer.create(LoadBalancer.DEFAULT, two);
        for (int i = 0; i < 50; i++) {
            assertThat(balancer.pick(new Request(Map.of()))).isSameAs(two.get(1));
        }
    }

    @Test
    void emptyClusterPicksNothing() {
        for (LoadBalancer policy : List.of(LoadBalancer.DEFAULT, new LoadBalancer.Simple(LoadBalancer.Simple.Algorithm.RANDOM),
                new LoadBalancer.ConsistentHash(new HashKey.SourceIp()))) {
            assertThat(Balancer.create(policy, List.of()).pick(new Request(Map.of()))).isNull();
        }
    }

    @Test
    void ringHashIsStickyAndSpreads() {
        Balancer balancer = Balancer.create(new LoadBalancer.ConsistentHash(new HashKey.Header("x-user")), THREE);
        Map<Endpoint, Integer> spread = new HashMap<>();
        for (int user = 0; user < 3000; user++) {
            Endpoint first = balancer.pick(new Request(Map.of("x-user", "u" + user)));
            assertThat(balancer.pick(new Request(Map.of("x-user", "u" + user)))).isSameAs(first);
            spread.merge(first, 1, Integer::sum);
        }
        assertThat(spread.values()).allSatisfy(n -> assertThat(n).isBetween(700, 1300));
    }

    @Test
    void ringHashMovesOnlyTheRemovedEndpointsKeys() {
        HashKey key = new HashKey.SourceIp();
        Balancer all = Balancer.create(new LoadBalancer.ConsistentHash(key), THREE);
        Balancer fewer = Balancer.create(new LoadBalancer.ConsistentHash(key), THREE.subList(0, 2));
        for (int i = 0; i < 1000; i++) {
            Request request = new Request(Map.of("ip", "192.168.1." + i));
            Endpoint before = all.pick(request);
            if (before != THREE.get(2)) {
                assertThat(fewer.pick(request)).isSameAs(before);
            }
        }
    }

    @Test
    void cookieHashSetsACookieWhenTheClientHasNone() {
        Balancer balancer = Balancer.create(
                new LoadBalancer.ConsistentHash(new HashKey.Cookie("session", "/", Duration.ofMinutes(10))), THREE);
        Request first = new Request(Map.of());
        Endpoint chosen = balancer.pick(first);
        String cookie = first.setCookies().get("session");
        assertThat(cookie).isNotBlank();
        for (int i = 0; i < 10; i++) {
            assertThat(balancer.pick(new Request(Map.of(), Map.of("session", cookie), new HashMap<>()))).isSameAs(chosen);
        }
    }
}
