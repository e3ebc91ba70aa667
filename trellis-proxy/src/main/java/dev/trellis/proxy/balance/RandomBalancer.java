package dev.trellis.proxy.balance;

import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/** A uniformly random endpoint. */
final class RandomBalancer implements Balancer {
    private final Endpoint[] endpoints;
    private final Supplier<RandomGenerator> random;

    RandomBalancer(Endpoint[] endpoints) {
        this(endpoints, LbEnv.SYSTEM.random());
    }

    RandomBalancer(Endpoint[] endpoints, Supplier<RandomGenerator> random) {
        this.endpoints = endpoints;
        this.random = random;
    }

    @Override
    public Endpoint pick(PickContext request) {
        return endpoints.length == 0 ? null : endpoints[random.get().nextInt(endpoints.length)];
    }
}
