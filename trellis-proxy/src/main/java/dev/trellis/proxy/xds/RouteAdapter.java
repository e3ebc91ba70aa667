package dev.trellis.proxy.xds;

import dev.trellis.proxy.config.Cluster;
import dev.trellis.proxy.route.HashPolicy;
import dev.trellis.proxy.route.HeaderMutation;
import dev.trellis.proxy.route.PathRewrite;
import dev.trellis.proxy.route.RequestMatcher;
import dev.trellis.proxy.route.RequestPolicy;
import dev.trellis.proxy.route.Route;
import dev.trellis.proxy.route.StringMatcher;
import dev.trellis.proxy.route.WeightedCluster;
import dev.trellis.proxy.telemetry.RequestStats;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.regex.Pattern;

/**
 * Reads an Envoy route configuration into the routes of one listener: conditions, weighted
 * clusters, header changes, rewrites, hash policies, and how requests are carried (timeout,
 * retries, mirrors, and the per-route settings of the listener's filters). A route naming a
 * cluster that is not there still runs, and answers 503, as Envoy's does.
 */
final class RouteAdapter {
    private static final Set<String> CONFIG = Set.of("name", "virtual_hosts");
    private static final Set<String> VIRTUAL_HOST = Set.of("name", "domains", "routes");
    private static final Set<String> ROUTE = Set.of("name", "match", "route", "metadata", "request_headers_to_add",
            "request_headers_to_remove", "response_headers_to_add", "response_headers_to_remove", "typed_per_filter_config");
    private static final Set<String> MATCH = Set.of("prefix", "path", "safe_regex", "case_sensitive", "headers");
    private static final Set<String> ACTION = Set.of("cluster", "weighted_clusters", "prefix_rewrite", "regex_rewrite",
            "host_rewrite_literal", "hash_policy", "timeout", "max_stream_duration", "retry_policy", "request_mirror_policies");
    private static final Set<String> CLUSTER_WEIGHT = Set.of("name", "weight", "request_headers_to_add",
            "request_headers_to_remove", "response_headers_to_add", "response_headers_to_remove");
    private static final Set<String> HEADER_OPTION = Set.of("header", "append_action");
    private static final Set<String> HEADER_VALUE = Set.of("key", "value");

    /** The stats of requests on a route (by name) to a cluster (by name). */
    interface Stats extends BiFunction<String, String, RequestStats> {}

    private final Map<String, Cluster> clusters;
    private final Stats stats;
    private final Refusals refusals;
    private final Matchers matchers;
    private final RequestPolicyAdapter policies;

    /** @param filters the listener's HTTP filters by name, whose per-route settings routes may carry */
    RouteAdapter(Map<String, Cluster> clusters, Stats stats, Map<String, HttpFiltersAdapter.Kind> filters, Refusals refusals) {
        this.clusters = clusters;
        this.stats = stats;
        this.refusals = refusals;
        this.matchers = new Matchers(refusals);
        this.policies = new RequestPolicyAdapter(filters, matchers, refusals);
    }

    List<Route> routes(RouteConfiguration config) {
        String where = "RouteConfiguration " + config.getName();
        refusals.onlyFields(config, where, CONFIG);
        if (config.getVirtualHostsCount() != 1) {
            refusals.add(Refusals.at(where, "virtual_hosts"), config.getVirtualHostsCount()
                    + " virtual hosts (expected: one, with domains [\"*\"])");
            return List.of();
        }
        VirtualHost host = config.getVirtualHosts(0);
        String hostWhere = Refusals.at(where, "virtual_hosts[0]");
        refusals.onlyFields(host, hostWhere, VIRTUAL_HOST);
        if (!host.getDomainsList().equals(List.of("*"))) {
            refusals.add(hostWhere + ".domains", host.getDomainsList() + " (expected: [\"*\"])");
        }
        List<Route> routes = new ArrayList<>();
        for (int i = 0; i < host.getRoutesCount(); i++) {
            Route route = route(host.getRoutes(i), hostWhere + ".routes[" + i + "]");
            if (route != null) {
                routes.add(route);
            }
        }
        return routes;
    }

    private Route route(io.envoyproxy.envoy.config.route.v3.Route route, String where) {
        int before = refusals.count();
        refusals.onlyFields(route, where, ROUTE);
        RouteMatch match = route.getMatch();
        RequestMatcher matcher = matcher(match, where + ".match");
        RouteAction action = route.getRoute();
        String actionWhere = where + ".route";
        if (!route.hasRoute()) {
            refusals.add(where, route.getActionCase() + " (expected: route)");
            return null;
        }
        refusals.onlyFields(action, actionWhere, ACTION);
        RequestPolicy policy = policies.policy(route, where);
        List<WeightedCluster> targets = new ArrayList<>();
        switch (action.getClusterSpecifierCase()) {
            case CLUSTER -> targets.add(target(route.getName(), action.getCluster(), 1, HeaderMutation.NONE, HeaderMutation.NONE));
            case WEIGHTED_CLUSTERS -> {
                refusals.onlyFields(action.getWeightedClusters(), actionWhere + ".weighted_clusters", Set.of("clusters"));
                for (int i = 0; i < action.getWeightedClusters().getClustersCount(); i++) {
                    var weight = action.getWeightedClusters().getClusters(i);
                    String at = actionWhere + ".weighted_clusters.clusters[" + i + "]";
                    refusals.onlyFields(weight, at, CLUSTER_WEIGHT);
                    if (weight.getWeight().getValue() > 0) {
                        targets.add(target(route.getName(), weight.getName(), weight.getWeight().getValue(),
                                headers(weight.getRequestHeadersToRemoveList(), weight.getRequestHeadersToAddList(), at + ".request_headers_to_add"),
                                headers(weight.getResponseHeadersToRemoveList(), weight.getResponseHeadersToAddList(), at + ".response_headers_to_add")));
                    }
                }
                if (targets.isEmpty()) {
                    refusals.add(actionWhere + ".weighted_clusters", "no cluster with a weight above 0");
                }
            }
            default -> refusals.add(actionWhere, action.getClusterSpecifierCase() + " (expected: cluster or weighted_clusters)");
        }
        PathRewrite rewrite = rewrite(action, match, actionWhere);
        HashPolicy hashPolicy = hashPolicy(action.getHashPolicyList(), actionWhere + ".hash_policy");
        HeaderMutation requestHeaders = headers(route.getRequestHeadersToRemoveList(), route.getRequestHeadersToAddList(), where + ".request_headers_to_add");
        HeaderMutation responseHeaders = headers(route.getResponseHeadersToRemoveList(), route.getResponseHeadersToAddList(), where + ".response_headers_to_add");
        if (refusals.count() > before || matcher == null) {
            return null;
        }
        String authority = action.getHostRewriteLiteral().isEmpty() ? null : action.getHostRewriteLiteral();
        return new Route(route.getName(), matcher, targets, requestHeaders, responseHeaders, rewrite, authority, hashPolicy, policy);
    }

    private WeightedCluster target(String route, String cluster, int weight, HeaderMutation request, HeaderMutation response) {
        return new WeightedCluster(cluster, clusters.get(cluster), weight, request, response, stats.apply(route, cluster));
    }

    private RequestMatcher matcher(RouteMatch match, String where) {
        refusals.onlyFields(match, where, MATCH);
        boolean ignoreCase = match.hasCaseSensitive() && !match.getCaseSensitive().getValue();
        StringMatcher path = switch (match.getPathSpecifierCase()) {
            case PREFIX -> match.getPrefix().equals("/") ? null : StringMatcher.prefix(match.getPrefix(), ignoreCase);
            case PATH -> StringMatcher.exact(match.getPath(), ignoreCase);
            case SAFE_REGEX -> matchers.regex(match.getSafeRegex(), where + ".safe_regex");
            default -> {
                refusals.add(where, match.getPathSpecifierCase() + " (expected: prefix, path or safe_regex)");
                yield null;
            }
        };
        StringMatcher method = null;
        StringMatcher authority = null;
        List<RequestMatcher.HeaderCondition> headers = new ArrayList<>();
        for (int i = 0; i < match.getHeadersCount(); i++) {
            String at = where + ".headers[" + i + "]";
            RequestMatcher.HeaderCondition header = matchers.header(match.getHeaders(i), at);
            switch (header.name()) {
                case ":method" -> method = header.value();
                case ":authority", "host" -> authority = header.value();
                default -> {
                    if (header.name().startsWith(":")) {
                        refusals.add(at + ".name", header.name() + " (expected: :method, :authority or a header name)");
                    }
                    headers.add(header);
                }
            }
        }
        return new RequestMatcher(path, method, authority, headers);
    }

    /** {@code prefix_rewrite} swaps a matched prefix, or a whole path matched exactly; {@code regex_rewrite} replaces matches in the path. */
    private PathRewrite rewrite(RouteAction action, RouteMatch match, String where) {
        if (!action.getPrefixRewrite().isEmpty()) {
            return switch (match.getPathSpecifierCase()) {
                case PREFIX -> new PathRewrite.Prefix(match.getPrefix(), action.getPrefixRewrite());
                case PATH -> new PathRewrite.Path(action.getPrefixRewrite());
                default -> {
                    refusals.add(where + ".prefix_rewrite", "set with a " + match.getPathSpecifierCase()
                            + " match (expected: a prefix or path match, or regex_rewrite)");
                    yield null;
                }
            };
        }
        if (action.hasRegexRewrite()) {
            refusals.onlyFields(action.getRegexRewrite(), where + ".regex_rewrite", Set.of("pattern", "substitution"));
            Pattern pattern = matchers.pattern(action.getRegexRewrite().getPattern(), where + ".regex_rewrite.pattern");
            return pattern == null ? null : PathRewrite.Regex.of(pattern, action.getRegexRewrite().getSubstitution());
        }
        return null;
    }

    /**
     * Envoy combines the hashes of non-terminal policies; Trellis takes the first key found, which
     * is the same only when every policy but the last is terminal.
     */
    private HashPolicy hashPolicy(List<RouteAction.HashPolicy> policies, String where) {
        List<HashPolicy.Key> keys = new ArrayList<>();
        for (int i = 0; i < policies.size(); i++) {
            RouteAction.HashPolicy policy = policies.get(i);
            String at = where + "[" + i + "]";
            if (!policy.getTerminal() && i < policies.size() - 1) {
                refusals.add(at + ".terminal", "false (expected: true on every policy but the last)");
            }
            switch (policy.getPolicySpecifierCase()) {
                case HEADER -> {
                    refusals.onlyFields(policy.getHeader(), at + ".header", Set.of("header_name"));
                    keys.add(new HashPolicy.Key.Header(policy.getHeader().getHeaderName().toLowerCase(Locale.ROOT)));
                }
                case COOKIE -> {
                    var cookie = policy.getCookie();
                    refusals.onlyFields(cookie, at + ".cookie", Set.of("name", "ttl", "path"));
                    keys.add(new HashPolicy.Key.Cookie(cookie.getName(), cookie.getPath().isEmpty() ? null : cookie.getPath(),
                            cookie.hasTtl() ? Duration.ofSeconds(cookie.getTtl().getSeconds(), cookie.getTtl().getNanos()) : null));
                }
                case CONNECTION_PROPERTIES -> {
                    refusals.onlyFields(policy.getConnectionProperties(), at + ".connection_properties", Set.of("source_ip"));
                    if (policy.getConnectionProperties().getSourceIp()) {
                        keys.add(new HashPolicy.Key.SourceIp());
                    }
                }
                case QUERY_PARAMETER -> {
                    refusals.onlyFields(policy.getQueryParameter(), at + ".query_parameter", Set.of("name"));
                    keys.add(new HashPolicy.Key.QueryParameter(policy.getQueryParameter().getName()));
                }
                default -> refusals.add(at, policy.getPolicySpecifierCase()
                        + " (expected: header, cookie, connection_properties or query_parameter)");
            }
        }
        return keys.isEmpty() ? HashPolicy.NONE : new HashPolicy(keys);
    }

    private HeaderMutation headers(List<String> remove, List<HeaderValueOption> add, String where) {
        List<HeaderMutation.Option> options = new ArrayList<>();
        for (int i = 0; i < add.size(); i++) {
            HeaderValueOption option = add.get(i);
            String at = where + "[" + i + "]";
            refusals.onlyFields(option, at, HEADER_OPTION);
            refusals.onlyFields(option.getHeader(), at + ".header", HEADER_VALUE);
            HeaderMutation.Action action = switch (option.getAppendAction()) {
                case APPEND_IF_EXISTS_OR_ADD -> HeaderMutation.Action.APPEND;
                case OVERWRITE_IF_EXISTS_OR_ADD -> HeaderMutation.Action.OVERWRITE;
                case ADD_IF_ABSENT -> HeaderMutation.Action.ADD_IF_ABSENT;
                case OVERWRITE_IF_EXISTS -> HeaderMutation.Action.OVERWRITE_IF_EXISTS;
                default -> {
                    refusals.add(at + ".append_action", option.getAppendAction() + " (expected: one Envoy defines)");
                    yield HeaderMutation.Action.APPEND;
                }
            };
            options.add(new HeaderMutation.Option(option.getHeader().getKey().toLowerCase(Locale.ROOT), option.getHeader().getValue(), action));
        }
        return HeaderMutation.of(remove.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList(), options);
    }
}
