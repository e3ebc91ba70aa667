package dev.trellis.proxy.upstream;

import java.net.InetSocketAddress;

/**
 * What upstream connections are pooled by: the cluster and the endpoint's address. As in Envoy,
 * clusters do not share connections, so each cluster's limits count only its own. Looked up on
 * every request and every release, so its hash is worked out once.
 */
final class PoolKey {
    private final String cluster;
    private final InetSocketAddress address;
    private final int hash;

    PoolKey(String cluster, InetSocketAddress address) {
        this.cluster = cluster;
        this.address = address;
        this.hash = 31 * cluster.hashCode() + address.hashCode();
    }

    String cluster() {
        return cluster;
    }

    InetSocketAddress address() {
        return address;
    }

    @Override
    public boolean equals(Object other) {
        return other == this
                || other instanceof PoolKey key && hash == key.hash && cluster.equals(key.cluster) && address.equals(key.address);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return cluster + "|" + address;
    }
}
