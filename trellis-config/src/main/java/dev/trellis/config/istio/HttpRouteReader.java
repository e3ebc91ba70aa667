package dev.trellis.config.istio;

import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Node;
import dev.trellis.model.HttpRoute;
import dev.trellis.model.Rewrite;
import dev.trellis.model.RouteMatch;
import dev.trellis.model.RoutePolicy;
import dev.trellis.model.WeightedDestination;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads one HTTP route of a VirtualService: its matches, weighted destinations, rewrites, and how
 * its requests are carried (timeout, retries, fault, mirrors).
 */
final class HttpRouteReader {
    private static final Fields HTTP = Fields.of("name", "match", "route", "headers", "rewrite", "timeout", "retries",
                    "fault", "mirror", "mirrorPercentage", "mirrorPercent", "mirrors")
            .notImplemented("redirect", "directResponse", "delegate", "corsPolicy");
    private static final Fields REWRITE = Fields.of("uri", "authority").notImplemented("uriRegexRewrite");

    private HttpRouteReader() {}

    /** @param defaultName the name when the route has none: {@code <virtual-service>.<index>} */
    static Optional<HttpRoute> read(Node http, String defaultName, String namespace) {
        if (!http.isRequiredObject(HTTP)) {
            return Optional.empty();
        }
        String name = http.get("name").string("a string").orElse(defaultName);
        List<RouteMatch> matches = new ArrayList<>();
        for (Node match : http.get("match").list("match conditions")) {
            RouteMatchReader.read(match).ifPresent(matches::add);
        }
        List<WeightedDestination> destinations = DestinationReader.readAll(http.get("route"), namespace);
        HeadersReader.Headers headers = HeadersReader.read(http.get("headers"));
        Optional<Rewrite> rewrite = rewrite(http.get("rewrite"));
        RoutePolicy policy = RoutePolicyReader.read(http, namespace);
        if (destinations.isEmpty()) {
            return Optional.empty(); // reported by DestinationReader; HttpRoute needs one
        }
        return Optional.of(new HttpRoute(name, matches, destinations, headers.request(), headers.response(), rewrite,
                policy));
    }

    private static Optional<Rewrite> rewrite(Node rewrite) {
        if (!rewrite.isObject(REWRITE)) {
            return Optional.empty();
        }
        Rewrite r = new Rewrite(
                rewrite.get("uri").string("a path or path prefix"), rewrite.get("authority").string("a host"));
        return r.uri().isEmpty() && r.authority().isEmpty() ? Optional.empty() : Optional.of(r);
    }
}
