package dev.trellis.proxy.route;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One route: a request that meets its conditions goes to one of its weighted clusters, with its
 * header changes and rewrites on the way.
 *
 * @param name shown in metrics ({@code route_name}); routes made from one VirtualService route share it
 * @param pathRewrite how the request target is rewritten, or null
 * @param authorityRewrite the replacement Host (:authority), or null
 * @param policy deadline, retries, mirrors, faults and rate limit
 */
public record Route(
        String name,
        RequestMatcher matcher,
        List<WeightedCluster> clusters,
        HeaderMutation requestHeaders,
        HeaderMutation responseHeaders,
        PathRewrite pathRewrite,
        String authorityRewrite,
        HashPolicy hashPolicy,
        RequestPolicy policy) {
    public Route {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(matcher, "matcher");
        clusters = List.copyOf(clusters);
        if (clusters.isEmpty()) {
            throw new IllegalArgumentException("route " + name + ": no cluster");
        }
        Objects.requireNonNull(requestHeaders, "requestHeaders");
        Objects.requireNonNull(responseHeaders, "responseHeaders");
        Objects.requireNonNull(hashPolicy, "hashPolicy");
        Objects.requireNonNull(policy, "policy");
    }

    /** A route with no deadline, retries, mirrors or faults. */
    public Route(String name, RequestMatcher matcher, List<WeightedCluster> clusters, HeaderMutation requestHeaders,
            HeaderMutation responseHeaders, PathRewrite pathRewrite, String authorityRewrite, HashPolicy hashPolicy) {
        this(name, matcher, clusters, requestHeaders, responseHeaders, pathRewrite, authorityRewrite, hashPolicy, RequestPolicy.NONE);
    }

    /** A cluster drawn at random by weight. */
    public WeightedCluster pickCluster() {
        if (clusters.size() == 1) {
            return clusters.get(0);
        }
        int total = 0;
        for (int i = 0; i < clusters.size(); i++) {
            total += clusters.get(i).weight();
        }
        int ticket = ThreadLocalRandom.current().nextInt(total);
        for (int i = 0; i < clusters.size(); i++) {
            ticket -= clusters.get(i).weight();
            if (ticket < 0) {
                return clusters.get(i);
            }
        }
        return clusters.get(clusters.size() - 1);
    }
}
