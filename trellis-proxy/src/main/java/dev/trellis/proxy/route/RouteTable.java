package dev.trellis.proxy.route;

import io.netty.handler.codec.http.HttpRequest;
import java.util.List;

/** The ordered routes of one listener: the first match decides. */
public final class RouteTable {
    private final List<Route> routes;
    private final RequestMatcher[] matchers;

    public RouteTable(List<Route> routes) {
        this.routes = List.copyOf(routes);
        this.matchers = routes.stream().flatMap(r -> r.matchers.stream()).toArray(RequestMatcher[]::new);
    }

    /** The first matching condition (which knows its route), or null when no route matches. */
    public RequestMatcher match(HttpRequest request) {
        for (RequestMatcher matcher : matchers) {
            if (matcher.matches(request)) {
                return matcher;
            }
        }
        return null;
    }

    public List<Route> routes() {
        return routes;
    }
}
