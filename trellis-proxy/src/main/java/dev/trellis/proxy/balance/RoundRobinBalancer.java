package dev.trellis.proxy.balance;

import java.util.concurrent.atomic.AtomicInteger;

/** Each endpoint in turn; one counter shared by all threads, so the turns are exact. */
final class RoundRobinBalancer implements Balancer {
    private final Endpoint[] endpoints;
    private final AtomicInteger next = new AtomicInteger();

    RoundRobinBalancer(Endpoint[] endpoints) {
        this.endpoints = endpoints;
    }

    @Override
    public Endpoint pick(PickContext request) {
        if (endpoints.length == 0) {
            return null;
        }
        return endpoints[Math.floorMod(next.getAndIncrement(), endpoints.length)];
    }
}
