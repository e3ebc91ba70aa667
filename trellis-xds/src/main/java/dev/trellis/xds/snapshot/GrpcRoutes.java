package dev.trellis.xds.snapshot;

import com.google.protobuf.BoolValue;
import dev.trellis.model.HeaderOps;
import dev.trellis.model.Hosts;
import dev.trellis.model.HttpRoute;
import dev.trellis.model.RouteMatch;
import dev.trellis.model.StringMatch;
import dev.trellis.model.WeightedDestination;
import dev.trellis.xds.ResourceNames;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Narrows a VirtualService's HTTP route to what gRPC's xDS client applies, before {@link Routes}
 * translates it, and finishes the translated route the way gRPC reads it. gRPC routes each call
 * by its path ({@code /package.Service/Method}) and its metadata, and forwards it unchanged: it has
 * no header mutations and no rewrites, and its header matchers see neither pseudo-headers nor
 * binary ({@code -bin}) metadata. Every gRPC call is a POST, so a method condition is decided here.
 */
final class GrpcRoutes {
    /** The method of every gRPC call. */
    static final String GRPC_METHOD = "POST";
    /** The metadata keys gRPC's header matchers can read, once lower-cased; binary ones ({@code -bin}) never. */
    private static final Pattern READABLE_HEADER = Pattern.compile("[-_.0-9a-z]+");

    private GrpcRoutes() {}

    /**
     * The route as gRPC clients are served it; empty when none of its matches can hold for a gRPC
     * call.
     *
     * @param where the route's document and name, which every problem and note starts with
     * @param problems told of matches left out although Envoy would apply them, which changes
     *     where some calls go
     * @param ignored told of settings gRPC clients do not apply, which leaves where calls go unchanged
     */
    static Optional<HttpRoute> adapt(HttpRoute route, String where, Consumer<String> problems, Consumer<String> ignored) {
        notApplied(route, where, ignored);
        List<RouteMatch> matches = new ArrayList<>();
        for (int i = 0; i < route.matches().size(); i++) {
            RouteMatch match = route.matches().get(i);
            Optional<String> unreadable = unreadable(match);
            if (unreadable.isPresent()) {
                problems.accept(where + ": match[" + i + "] " + unreadable.get()
                        + "; the match is left out of what gRPC clients are served");
            } else if (match.method().map(m -> accepts(m, GRPC_METHOD)).orElse(true)) {
                matches.add(new RouteMatch(match.uri(), Optional.empty(), Optional.empty(), match.headers(), match.ignoreUriCase()));
            } // else the method is never POST: no gRPC call takes this match
        }
        if (!route.matches().isEmpty() && matches.isEmpty()) {
            return Optional.empty();
        }
        List<WeightedDestination> destinations = route.destinations().stream()
                .map(d -> new WeightedDestination(d.destination(), d.weight(), HeaderOps.NONE, HeaderOps.NONE))
                .toList();
        return Optional.of(new HttpRoute(route.name(), matches, destinations, HeaderOps.NONE, HeaderOps.NONE, Optional.empty()));
    }

    /**
     * A translated route as gRPC reads it: {@code case_sensitive} always set, since gRPC takes an
     * unset one as false where Envoy takes it as true; no metadata and no route timeout, which gRPC
     * does not read (it has no timeout unless {@code max_stream_duration} says so).
     */
    static Route finish(Route route) {
        Route.Builder grpc = route.toBuilder().clearMetadata();
        grpc.getRouteBuilder().clearTimeout();
        io.envoyproxy.envoy.config.route.v3.RouteMatch.Builder match = grpc.getMatchBuilder();
        boolean ignoreCase = match.hasCaseSensitive() && !match.getCaseSensitive().getValue();
        match.setCaseSensitive(BoolValue.of(!ignoreCase));
        return grpc.build();
    }

    /** One virtual host answering to the names a gRPC channel may carry as its authority. */
    static RouteConfiguration routeConfiguration(String name, String host, int port, List<Route> routes) {
        return RouteConfiguration.newBuilder()
                .setName(name)
                .addVirtualHosts(VirtualHost.newBuilder().setName(name).addAllDomains(domains(host, port)).addAllRoutes(routes))
                .build();
    }

    /**
     * {@code host:port} (a channel's default authority), the host alone, and for a cluster-local
     * host its namespace-qualified short forms ({@code catalog.shop.svc}, {@code catalog.shop}),
     * with and without the port, for a channel whose authority was set to one of them. Not the
     * bare name: it means a different service in each namespace.
     */
    static List<String> domains(String host, int port) {
        Set<String> names = new LinkedHashSet<>();
        names.add(host);
        String suffix = "." + Hosts.CLUSTER_DOMAIN;
        if (host.endsWith(suffix)) {
            String nameAndNamespace = host.substring(0, host.length() - suffix.length());
            if (nameAndNamespace.indexOf('.') > 0) {
                names.add(nameAndNamespace + ".svc");
                names.add(nameAndNamespace);
            }
        }
        List<String> domains = new ArrayList<>();
        names.forEach(n -> domains.add(ResourceNames.hostPort(n, port)));
        domains.addAll(names);
        return domains;
    }

    private static void notApplied(HttpRoute route, String where, Consumer<String> ignored) {
        if (!route.requestHeaders().isEmpty() || route.destinations().stream().anyMatch(d -> !d.requestHeaders().isEmpty())) {
            ignored.accept(where + ": request header changes do not reach gRPC clients");
        }
        if (!route.responseHeaders().isEmpty() || route.destinations().stream().anyMatch(d -> !d.responseHeaders().isEmpty())) {
            ignored.accept(where + ": response header changes do not reach gRPC clients");
        }
        route.rewrite().ifPresent(rewrite -> {
            rewrite.uri().ifPresent(uri -> ignored.accept(where + ": rewrite.uri does not reach gRPC clients"));
            rewrite.authority().ifPresent(authority -> ignored.accept(where + ": rewrite.authority does not reach gRPC clients"));
        });
    }

    /** Why gRPC cannot evaluate a match condition; empty when it can. */
    private static Optional<String> unreadable(RouteMatch match) {
        if (match.authority().isPresent()) {
            return Optional.of("matches the authority, which gRPC clients match only when they choose a virtual host");
        }
        for (String header : match.headers().keySet().stream().sorted().toList()) {
            if (header.startsWith(":")) {
                return Optional.of("matches the pseudo-header " + header + ", which gRPC's header matchers do not see");
            }
            String key = header.toLowerCase(Locale.ROOT); // as gRPC's Metadata.Key and Envoy both compare names
            if (key.endsWith("-bin") || !READABLE_HEADER.matcher(key).matches()) {
                return Optional.of("matches the header " + header + ", which gRPC's header matchers never see"
                        + " (expected: lower-case letters, digits, '-', '_' and '.', not ending in -bin)");
            }
        }
        return Optional.empty();
    }

    /** Whether {@code match} accepts {@code value}, as the proxy would compare them. */
    static boolean accepts(StringMatch match, String value) {
        return switch (match) {
            case StringMatch.Exact e -> value.equals(e.value());
            case StringMatch.Prefix p -> value.startsWith(p.value());
            case StringMatch.Regex r -> Pattern.compile(r.value()).matcher(value).matches();
        };
    }
}
