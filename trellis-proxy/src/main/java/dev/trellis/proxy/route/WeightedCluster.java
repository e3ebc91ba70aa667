package dev.trellis.proxy.route;

import dev.trellis.proxy.config.Cluster;
import dev.trellis.proxy.telemetry.RequestStats;

/**
 * One cluster of a route: its share of the route's traffic, its own header changes, and the
 * stats of requests that took this way.
 *
 * @param name the cluster's name
 * @param cluster the cluster, or null when the configuration has none by that name: requests
 *     drawn for it are answered 503, as Envoy answers a route to an unknown cluster
 * @param weight share of the route's traffic, relative to the other clusters' weights
 */
public record WeightedCluster(
        String name, Cluster cluster, int weight, HeaderMutation requestHeaders, HeaderMutation responseHeaders, RequestStats stats) {}
