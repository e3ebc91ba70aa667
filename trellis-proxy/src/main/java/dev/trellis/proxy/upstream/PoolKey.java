package dev.trellis.proxy.upstream;

import java.net.InetSocketAddress;

/**
 * What upstream connections are pooled by: the cluster and the endpoint's address. As in Envoy,
 * clusters do not share connections, so each cluster's limits count only its own.
 */
record PoolKey(String cluster, InetSocketAddress address) {}
