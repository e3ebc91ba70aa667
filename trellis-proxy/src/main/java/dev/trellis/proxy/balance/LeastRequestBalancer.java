package dev.trellis.proxy.balance;

import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * The power of two choices: of two random endpoints, the one with fewer requests in flight.
 * Nearly as good as a full scan at a constant cost, and it avoids herding onto one endpoint.
 *
 * <p>While an endpoint warms up, weights differ and the choice becomes weighted, as Envoy's least
 * request does: the two candidates are drawn in proportion to their weights and the one with fewer
 * requests in flight per unit of weight wins (ties go to the first drawn). With nothing in flight a
 * warming endpoint gets its weight's share; under load, in-flight counts settle in proportion to
 * weight, the balance Envoy's weight / (active + 1) aims at.
 */
final class LeastRequestBalancer implements Balancer {
    private final Endpoint[] endpoints;
    private final Warmup warmup;
    private final Supplier<RandomGenerator> random;

    LeastRequestBalancer(Endpoint[] endpoints) {
        this(endpoints, null, LbEnv.SYSTEM.random());
    }

    /** @param warmup the warm-up to follow, or null */
    LeastRequestBalancer(Endpoint[] endpoints, Warmup warmup, Supplier<RandomGenerator> random) {
        this.endpoints = endpoints;
        this.warmup = warmup;
        this.random = random;
    }

    @Override
    public Endpoint pick(PickContext request) {
        int n = endpoints.length;
        if (n <= 1) {
            return n == 0 ? null : endpoints[0];
        }
        RandomGenerator random = this.random.get();
        Warmup.Weights weights = warmup == null ? null : warmup.weights();
        if (weights != null) {
            int i = weights.select(random.nextDouble());
            int j = weights.selectOther(i, random.nextDouble());
            // b wins when active(b) / weight(b) < active(a) / weight(a)
            return endpoints[j].activeRequests() * weights.weight()[i] < endpoints[i].activeRequests() * weights.weight()[j]
                    ? endpoints[j]
                    : endpoints[i];
        }
        int i = random.nextInt(n);
        int j = random.nextInt(n - 1);
        if (j >= i) {
            j++;
        }
        Endpoint a = endpoints[i];
        Endpoint b = endpoints[j];
        return b.activeRequests() < a.activeRequests() ? b : a;
    }
}
