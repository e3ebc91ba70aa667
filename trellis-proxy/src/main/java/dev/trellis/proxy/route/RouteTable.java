package dev.trellis.proxy.route;

import io.netty.handler.codec.http.HttpRequest;
import java.util.List;

/** The ordered routes of one listener: the first whose conditions hold decides. */
public final class RouteTable {
    private final Route[] routes;

    public RouteTable(List<Route> routes) {
        this.routes = routes.toArray(Route[]::new);
    }

    /** The first matching route, or null when none matches. */
    public Route match(HttpRequest request) {
        String target = request.uri();
        String pathWithoutQuery = null; // cut once per request, and only if a route reads it
        for (Route route : routes) {
            RequestMatcher matcher = route.matcher();
            if (pathWithoutQuery == null && matcher.readsPathWithoutQuery()) {
                pathWithoutQuery = RequestMatcher.pathOf(target);
            }
            if (matcher.matches(request, target, pathWithoutQuery)) {
                return route;
            }
        }
        return null;
    }

    public List<Route> routes() {
        return List.of(routes);
    }
}
