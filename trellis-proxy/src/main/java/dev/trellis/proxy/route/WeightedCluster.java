package dev.trellis.proxy.route;

import dev.trellis.proxy.config.Cluster;
import dev.trellis.proxy.telemetry.RequestStats;

/**
 * One destination of a route: the cluster, its share of the route's traffic, its own header
 * mutations, and the stats of requests that took this way.
 */
public record WeightedCluster(
        Cluster cluster, int weight, HeaderMutation requestHeaders, HeaderMutation responseHeaders, RequestStats stats) {}
