package dev.trellis.proxy.balance;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The power of two choices: of two random endpoints, the one with fewer requests in flight.
 * Nearly as good as a full scan at a constant cost, and it avoids herding onto one endpoint.
 */
final class LeastRequestBalancer implements Balancer {
    private final Endpoint[] endpoints;

    LeastRequestBalancer(Endpoint[] endpoints) {
        this.endpoints = endpoints;
    }

    @Override
    public Endpoint pick(PickContext request) {
        int n = endpoints.length;
        if (n <= 1) {
            return n == 0 ? null : endpoints[0];
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
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
