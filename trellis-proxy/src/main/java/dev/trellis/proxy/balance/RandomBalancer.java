package dev.trellis.proxy.balance;

import java.util.concurrent.ThreadLocalRandom;

/** A uniformly random endpoint. */
final class RandomBalancer implements Balancer {
    private final Endpoint[] endpoints;

    RandomBalancer(Endpoint[] endpoints) {
        this.endpoints = endpoints;
    }

    @Override
    public Endpoint pick(PickContext request) {
        return endpoints.length == 0 ? null : endpoints[ThreadLocalRandom.current().nextInt(endpoints.length)];
    }
}
