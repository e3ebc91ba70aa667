// Measures RouteTable.match, which every HTTP request runs once: a listener's table of 20 routes
// with mixed conditions (path prefix, exact path, path regex, method, Host, other headers), built as
// RouteAdapter builds them from xDS, matched by a request the first route takes, by one only the
// last route takes (every condition of the table tried on the way), and by that one with a query
// string (exact and regex path conditions see the path without it, cut out per condition).
package dev.trellis.bench;

import dev.trellis.proxy.http.SizedHeaders;
import dev.trellis.proxy.route.HashPolicy;
import dev.trellis.proxy.route.HeaderMutation;
import dev.trellis.proxy.route.RequestMatcher;
import dev.trellis.proxy.route.RequestMatcher.HeaderCondition;
import dev.trellis.proxy.route.Route;
import dev.trellis.proxy.route.RouteTable;
import dev.trellis.proxy.route.StringMatcher;
import dev.trellis.proxy.route.WeightedCluster;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

public class RouteMatchBenchmark extends HotPathBenchmark {
    private RouteTable table;
    private Route firstRoute;
    private Route lastRoute;
    private HttpRequest first;
    private HttpRequest last;
    private HttpRequest lastWithQuery;

    @Setup
    public void setUp() {
        List<Route> routes = new ArrayList<>();
        // 1: a health check, exact path
        routes.add(route("healthz", exact("/healthz"), null, null));
        // 2-5: a canary by header, a profile by regex, then the API by prefix
        routes.add(route("users-canary", prefix("/api/v2/users"), null, null, header("x-canary", StringMatcher.exact("true", false))));
        routes.add(route("users-v2", prefix("/api/v2/users"), null, null));
        routes.add(route("user-by-id", regex("/api/v1/users/[0-9]+/profile"), null, null));
        routes.add(route("users-v1", prefix("/api/v1/users"), null, null));
        // 6-9: writes and reads of orders apart, by method
        routes.add(route("orders-write", prefix("/api/v1/orders"), StringMatcher.exact("POST", false), null));
        routes.add(route("orders-delete", regex("/api/v1/orders/[0-9a-f]{8}"), StringMatcher.exact("DELETE", false), null));
        routes.add(route("orders-read", prefix("/api/v1/orders"), StringMatcher.exact("GET", false),
                StringMatcher.exact("orders.example.com", true)));
        routes.add(route("orders-legacy", exact("/orders.php"), null, null));
        // 10-14: per-tenant and per-client routing by header
        routes.add(route("tenant-acme", prefix("/api/"), null, null, header("x-tenant", StringMatcher.exact("acme", false))));
        routes.add(route("tenant-globex", prefix("/api/"), null, null, header("x-tenant", StringMatcher.exact("globex", false))));
        routes.add(route("mobile", prefix("/api/"), null, null,
                header("user-agent", StringMatcher.regex(Pattern.compile(".*(iPhone|Android).*")))));
        routes.add(route("grpc-reflection", prefix("/grpc.reflection.v1alpha.ServerReflection/"), StringMatcher.exact("POST", false), null,
                header("content-type", StringMatcher.prefix("application/grpc", false))));
        routes.add(route("graphql", exact("/graphql"), StringMatcher.exact("POST", false), null));
        // 15-19: other hosts and paths
        routes.add(route("admin", prefix("/admin/"), null, StringMatcher.exact("admin.example.com", true)));
        routes.add(route("images", regex("/img/[a-z0-9_-]+\\.(png|jpg|webp)"), null, null));
        routes.add(route("docs", prefix("/docs/", true), null, StringMatcher.prefix("docs.", true)));
        routes.add(route("metrics", exact("/metrics"), StringMatcher.exact("GET", false), null,
                header("authorization", StringMatcher.prefix("Bearer ", false))));
        routes.add(route("websocket", exact("/ws"), null, null, header("upgrade", StringMatcher.exact("websocket", true))));
        // 20: the shop's static assets, on their own host
        routes.add(route("static", prefix("/static/"), StringMatcher.exact("GET", false), StringMatcher.exact("shop.example.com", true),
                header("accept-encoding", StringMatcher.regex(Pattern.compile(".*\\bgzip\\b.*")))));
        table = new RouteTable(routes);
        firstRoute = routes.get(0);
        lastRoute = routes.get(routes.size() - 1);

        first = request("/healthz");
        last = request("/static/js/app.3f2a9c.js");
        lastWithQuery = request("/static/js/app.js?v=3f2a9c");
        check(first, firstRoute);
        check(last, lastRoute);
        check(lastWithQuery, lastRoute);
    }

    @Benchmark
    public Route matchFirst() {
        return table.match(first);
    }

    @Benchmark
    public Route matchLast() {
        return table.match(last);
    }

    @Benchmark
    public Route matchLastWithQuery() {
        return table.match(lastWithQuery);
    }

    private void check(HttpRequest request, Route expected) {
        Route matched = table.match(request);
        if (matched != expected) {
            throw new IllegalStateException(request.uri() + ": matched " + (matched == null ? "nothing" : matched.name())
                    + ", expected " + expected.name());
        }
    }

    /** A browser's GET as the HTTP/1.1 decoder gives it to the router. */
    private static HttpRequest request(String target) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, target, SizedHeaders.MESSAGES.newHeaders());
        request.headers()
                .add("Host", "shop.example.com")
                .add("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
                .add("Accept", "*/*")
                .add("Accept-Language", "en-US,en;q=0.5")
                .add("Accept-Encoding", "gzip, deflate, br")
                .add("Connection", "keep-alive")
                .add("Cookie", "session=3b1f9c2e7a5d4e8f; theme=dark")
                .add("X-Request-Id", "9f1c2d3e-4b5a-6c7d-8e9f-0a1b2c3d4e5f");
        return request;
    }

    // The path conditions as RouteAdapter makes them from an xDS RouteMatch.
    private static StringMatcher prefix(String prefix) {
        return prefix(prefix, false);
    }

    private static StringMatcher prefix(String prefix, boolean ignoreCase) {
        return StringMatcher.prefix(prefix, ignoreCase);
    }

    private static StringMatcher exact(String path) {
        return StringMatcher.exact(path, false);
    }

    private static StringMatcher regex(String regex) {
        return StringMatcher.regex(Pattern.compile(regex));
    }

    private static HeaderCondition header(String name, StringMatcher value) {
        return new HeaderCondition(name, value);
    }

    private static Route route(String name, StringMatcher path, StringMatcher method, StringMatcher authority, HeaderCondition... headers) {
        WeightedCluster cluster = new WeightedCluster(name, null, 1, HeaderMutation.NONE, HeaderMutation.NONE, null);
        return new Route(name, new RequestMatcher(path, method, authority, List.of(headers)), List.of(cluster),
                HeaderMutation.NONE, HeaderMutation.NONE, null, null, HashPolicy.NONE);
    }
}
