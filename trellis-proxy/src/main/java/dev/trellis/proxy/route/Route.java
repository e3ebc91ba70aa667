package dev.trellis.proxy.route;

import dev.trellis.model.HttpRoute;
import dev.trellis.model.RouteMatch;
import dev.trellis.model.WeightedDestination;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/** A compiled {@link HttpRoute}: where a matching request goes and what changes on the way. */
public final class Route {
    private final String name;
    private final WeightedCluster[] clusters;
    private final int totalWeight;
    private final HeaderMutation requestHeaders;
    private final HeaderMutation responseHeaders;
    private final String uriRewrite;
    private final String authorityRewrite;
    final List<RequestMatcher> matchers;

    /**
     * @param destinations compiles one weighted destination of this route, given the route's name
     */
    public Route(HttpRoute route, Function<WeightedDestination, WeightedCluster> destinations) {
        this.name = route.name();
        this.clusters = route.destinations().stream().map(destinations).toArray(WeightedCluster[]::new);
        this.totalWeight = route.destinations().size() == 1
                ? 1
                : route.destinations().stream().mapToInt(WeightedDestination::weight).sum();
        this.requestHeaders = HeaderMutation.of(route.requestHeaders());
        this.responseHeaders = HeaderMutation.of(route.responseHeaders());
        this.uriRewrite = route.rewrite().flatMap(r -> r.uri()).orElse(null);
        this.authorityRewrite = route.rewrite().flatMap(r -> r.authority()).orElse(null);
        List<RouteMatch> matches = route.matches().isEmpty() ? List.of(RouteMatch.ANY) : route.matches();
        this.matchers = matches.stream().map(m -> new RequestMatcher(this, m)).toList();
    }

    public String name() {
        return name;
    }

    /** A destination drawn at random by weight. */
    public WeightedCluster pickCluster() {
        if (clusters.length == 1) {
            return clusters[0];
        }
        int ticket = ThreadLocalRandom.current().nextInt(totalWeight);
        for (WeightedCluster cluster : clusters) {
            ticket -= cluster.weight();
            if (ticket < 0) {
                return cluster;
            }
        }
        return clusters[clusters.length - 1];
    }

    public List<WeightedCluster> clusters() {
        return List.of(clusters);
    }

    public HeaderMutation requestHeaders() {
        return requestHeaders;
    }

    public HeaderMutation responseHeaders() {
        return responseHeaders;
    }

    /** The replacement for the matched uri (prefix), or null. */
    public String uriRewrite() {
        return uriRewrite;
    }

    /** The replacement authority (Host), or null. */
    public String authorityRewrite() {
        return authorityRewrite;
    }
}
