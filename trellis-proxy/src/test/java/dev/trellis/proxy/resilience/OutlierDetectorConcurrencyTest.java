package dev.trellis.proxy.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.proxy.balance.Endpoint;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Every event loop reports results at once: the limits and the counts must come out exact. */
class OutlierDetectorConcurrencyTest {
    private static List<Endpoint> endpoints(int n) {
        return IntStream.range(0, n).mapToObj(i -> new Endpoint("10.1.0." + i, 80, Map.of())).toList();
    }

    /** Counts the listener's calls, and checks they alternate per endpoint. */
    static final class Counting implements OutlierListener {
        final AtomicInteger ejections = new AtomicInteger();
        final AtomicInteger returns = new AtomicInteger();
        final Map<Endpoint, AtomicInteger> balance = new ConcurrentHashMap<>();

        @Override
        public void onEjected(Endpoint endpoint, EjectionReason reason, Duration ejectionTime) {
            ejections.incrementAndGet();
            balance.computeIfAbsent(endpoint, e -> new AtomicInteger()).incrementAndGet();
        }

        @Override
        public void onUnejected(Endpoint endpoint) {
            returns.incrementAndGet();
            balance.computeIfAbsent(endpoint, e -> new AtomicInteger()).decrementAndGet();
        }
    }

    @Test
    void concurrentFailuresNeverEjectPastTheLimitNorTheSameEndpointTwice() throws Exception {
        List<Endpoint> hosts = endpoints(10);
        Counting listener = new Counting();
        OutlierDetector detector = new OutlierDetector(OutlierPolicy.builder().maxEjectionPercent(50).build(), hosts, listener);
        long now = 1_000_000_000L;
        AtomicInteger mostEjected = new AtomicInteger();
        Concurrently.run(4, thread -> {
            for (int i = 0; i < 20_000; i++) {
                Endpoint host = hosts.get((i + thread) % hosts.size());
                detector.onResponse(host, 503, now);
                mostEjected.accumulateAndGet(detector.ejectedEndpoints().size(), Math::max);
            }
        });
        assertThat(mostEjected.get()).isLessThanOrEqualTo(5);
        assertThat(detector.ejectedEndpoints()).hasSize(5);
        OutlierDetector.Stats stats = detector.stats();
        assertThat(stats.ejectionsActive()).isEqualTo(5);
        assertThat(stats.ejectionsEnforcedTotal()).isEqualTo(5);
        assertThat(listener.ejections.get()).isEqualTo(5);
        assertThat(listener.balance.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
        assertThat(stats.ejectionsDetected().get(EjectionReason.CONSECUTIVE_5XX))
                .isEqualTo(stats.ejectionsEnforcedTotal() + stats.ejectionsOverflow());
    }

    @Test
    void aRunOfFailuresSplitAcrossThreadsIsDetectedOnce() throws Exception {
        // Four threads report exactly five 5xx between them, many times over, to a fresh detector
        // each round: each round ejects the endpoint exactly once.
        List<Endpoint> hosts = endpoints(2);
        for (int round = 0; round < 500; round++) {
            Counting listener = new Counting();
            OutlierDetector detector = new OutlierDetector(
                    OutlierPolicy.builder().consecutive5xxErrors(5).maxEjectionPercent(100).build(), hosts, listener);
            AtomicInteger reported = new AtomicInteger();
            Concurrently.run(4, thread -> {
                while (reported.getAndIncrement() < 5) {
                    detector.onResponse(hosts.get(0), 500, 0);
                }
            });
            assertThat(listener.ejections.get()).isEqualTo(1);
            assertThat(detector.stats().ejectionsDetected().get(EjectionReason.CONSECUTIVE_5XX)).isEqualTo(1);
        }
    }

    @Test
    void ejectionsReturnsAndMembershipChangesRacingLeaveAConsistentState() throws Exception {
        List<Endpoint> hosts = endpoints(20);
        Counting listener = new Counting();
        OutlierDetector detector = new OutlierDetector(
                OutlierPolicy.builder().consecutive5xxErrors(3).maxEjectionPercent(30).baseEjectionTime(Duration.ofSeconds(1))
                        .interval(Duration.ofSeconds(1)).build(),
                hosts, listener);
        AtomicLong clock = new AtomicLong();
        Set<Endpoint> all = Set.copyOf(hosts);
        Set<Endpoint> fewer = Set.copyOf(hosts.subList(0, 15));
        Concurrently.run(4, thread -> {
            for (int i = 0; i < 20_000; i++) {
                if (thread == 0) {
                    // The owner: time passes, the sweep runs, the endpoint set changes now and then.
                    long now = clock.addAndGet(Duration.ofMillis(100).toNanos());
                    detector.tick(now);
                    if (i % 500 == 0) {
                        detector.retain(i % 1000 == 0 ? fewer : all);
                    }
                } else {
                    Endpoint host = hosts.get((i * 7 + thread) % hosts.size());
                    detector.onResponse(host, i % 5 == 0 ? 200 : 502, clock.get());
                }
                assertThat(detector.ejectedEndpoints().size()).isLessThanOrEqualTo(6); // 30% of 20
            }
        });
        detector.retain(all);
        detector.tick(clock.addAndGet(Duration.ofDays(1).toNanos()));
        // Everything has returned. Each ejection of an endpoint that never left was matched by one
        // return; one that left while ejected was forgotten without a return, and no endpoint
        // ever returned without an ejection first.
        assertThat(detector.ejectedEndpoints()).isEmpty();
        assertThat(detector.stats().ejectionsActive()).isZero();
        assertThat(listener.ejections.get()).isEqualTo(detector.stats().ejectionsEnforcedTotal());
        assertThat(listener.ejections.get()).isGreaterThan(0);
        for (Endpoint host : hosts) {
            int balance = listener.balance.getOrDefault(host, new AtomicInteger()).get();
            if (fewer.contains(host)) {
                assertThat(balance).as("%s", host).isZero();
            } else {
                assertThat(balance).as("%s", host).isNotNegative();
            }
        }
    }
}
