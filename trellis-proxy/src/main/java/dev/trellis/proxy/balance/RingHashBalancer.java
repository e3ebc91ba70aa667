package dev.trellis.proxy.balance;

import java.util.Arrays;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Consistent hashing on a ring: each endpoint owns many points of a 64-bit ring and a request
 * goes to the owner of the first point at or after its key's hash. The same key keeps reaching
 * the same endpoint, and adding or removing one endpoint moves only that endpoint's share.
 * Requests without a key go to a random endpoint.
 */
final class RingHashBalancer implements Balancer {
    /**
     * Ring points per endpoint. A fixed number, not a share of a fixed ring size, so an endpoint
     * keeps its points whatever the others do: removing one moves only the keys it owned.
     */
    private static final int POINTS_PER_ENDPOINT = 256;

    private final Endpoint[] endpoints;
    private final long[] points;
    private final Endpoint[] owners;
    private final Supplier<RandomGenerator> random;

    RingHashBalancer(Endpoint[] endpoints) {
        this(endpoints, LbEnv.SYSTEM.random());
    }

    RingHashBalancer(Endpoint[] endpoints, Supplier<RandomGenerator> random) {
        this.endpoints = endpoints;
        this.random = random;
        int perEndpoint = POINTS_PER_ENDPOINT;
        long[] hashes = new long[endpoints.length * perEndpoint];
        Endpoint[] byHash = new Endpoint[hashes.length];
        int n = 0;
        for (Endpoint endpoint : endpoints) {
            for (int i = 0; i < perEndpoint; i++) {
                hashes[n] = hash(endpoint + "_" + i);
                byHash[n++] = endpoint;
            }
        }
        // Sort points and their owners together.
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compareUnsigned(hashes[a], hashes[b]));
        this.points = new long[n];
        this.owners = new Endpoint[n];
        for (int i = 0; i < n; i++) {
            points[i] = hashes[order[i]];
            owners[i] = byHash[order[i]];
        }
    }

    @Override
    public Endpoint pick(PickContext request) {
        if (endpoints.length == 0) {
            return null;
        }
        String value = request.hashKey();
        if (value == null) {
            return endpoints[random.get().nextInt(endpoints.length)];
        }
        long h = hash(value);
        int lo = 0;
        int hi = points.length;
        while (lo < hi) { // first point >= h, unsigned
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(points[mid], h) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return owners[lo == points.length ? 0 : lo];
    }

    /** FNV-1a over the chars, finished with MurmurHash3's 64-bit mixer for a good spread. */
    static long hash(CharSequence s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
