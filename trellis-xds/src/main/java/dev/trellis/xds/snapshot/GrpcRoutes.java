package dev.trellis.xds.snapshot;

import com.google.protobuf.BoolValue;
import dev.trellis.model.HeaderOps;
import dev.trellis.model.Hosts;
import dev.trellis.model.HttpRoute;
import dev.trellis.model.RouteMatch;
import dev.trellis.model.RoutePolicy;
import dev.trellis.model.StringMatch;
import dev.trellis.model.WeightedDestination;
import dev.trellis.xds.ResourceNames;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
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
 * Of how a call is carried, gRPC applies the timeout (read from {@code max_stream_duration}),
 * retries on gRPC statuses with their back-off, and injected faults; it does not mirror.
 */
final class GrpcRoutes {
    /** The method of every gRPC call. */
    static final String GRPC_METHOD = "POST";
    /** The most retries a gRPC channel makes by default: 5 attempts in all. */
    static final int MAX_GRPC_RETRIES = 4;
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
        RoutePolicy policy = route.policy();
        RoutePolicy withoutMirrors = new RoutePolicy(policy.timeout(), policy.retries(), policy.fault(), List.of());
        return Optional.of(new HttpRoute(route.name(), matches, destinations, HeaderOps.NONE, HeaderOps.NONE, Optional.empty(),
                withoutMirrors));
    }

    /**
     * A translated route as gRPC reads it: {@code case_sensitive} always set, since gRPC takes an
     * unset one as false where Envoy takes it as true; no metadata; the timeout as
     * {@code max_stream_duration}, the only place gRPC reads it (0s: none), as Istio sends it to
     * proxyless clients; the retry policy narrowed to what gRPC reads ({@link RetryPolicies#forGrpc}).
     */
    static Route finish(Route route) {
        Route.Builder grpc = route.toBuilder().clearMetadata();
        RouteAction.Builder action = grpc.getRouteBuilder();
        com.google.protobuf.Duration timeout = action.getTimeout();
        action.clearTimeout().setMaxStreamDuration(RouteAction.MaxStreamDuration.newBuilder().setMaxStreamDuration(timeout));
        if (action.hasRetryPolicy()) {
            RetryPolicies.forGrpc(action.getRetryPolicy()).ifPresentOrElse(action::setRetryPolicy, action::clearRetryPolicy);
        }
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
        notApplied(route.policy(), where, ignored);
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

    /** Notes what of the route's timeout, retries, fault and mirrors gRPC clients do not apply. */
    private static void notApplied(RoutePolicy policy, String where, Consumer<String> ignored) {
        if (!policy.mirrors().isEmpty()) {
            ignored.accept(where + ": mirroring (mirror, mirrors) does not reach gRPC clients");
        }
        policy.retries().filter(r -> r.attempts() > 0).ifPresent(retries -> {
            List<String> notGrpc = retries.retryOn().map(on -> on.conditions().stream()
                    .filter(c -> !RetryPolicies.GRPC_CONDITIONS.contains(c)).toList()).orElse(List.of());
            if (!notGrpc.isEmpty()) {
                ignored.accept(where + ": retries.retryOn " + String.join(", ", notGrpc)
                        + " do not reach gRPC clients, which retry on gRPC statuses only");
            }
            retries.retryOn().filter(on -> !on.statusCodes().isEmpty()).ifPresent(on -> ignored.accept(where
                    + ": retries.retryOn HTTP statuses " + on.statusCodes() + " do not reach gRPC clients, which retry on gRPC statuses only"));
            if (retries.retryOn().isPresent() && RetryPolicies.grpcConditions(String.join(",", retries.retryOn().get().conditions())).isEmpty()) {
                ignored.accept(where + ": retries name no gRPC status, so gRPC clients do not retry this route");
            }
            retries.perTryTimeout().ifPresent(t -> ignored.accept(where + ": retries.perTryTimeout does not reach gRPC clients"));
            if (retries.retryRemoteLocalities()) {
                ignored.accept(where + ": retries.retryRemoteLocalities does not reach gRPC clients");
            }
            if (retries.ignorePreviousHosts().isPresent()) {
                ignored.accept(where + ": retries.retryIgnorePreviousHosts does not reach gRPC clients");
            }
            if (retries.attempts() > MAX_GRPC_RETRIES) {
                ignored.accept(where + ": retries.attempts " + retries.attempts() + " reaches gRPC clients as "
                        + MAX_GRPC_RETRIES + ", since gRPC makes at most " + (MAX_GRPC_RETRIES + 1) + " attempts");
            }
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
