package dev.trellis.proxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trellis.model.HeaderOps;
import dev.trellis.model.HttpRoute;
import dev.trellis.model.RouteDestination;
import dev.trellis.model.RouteMatch;
import dev.trellis.model.StringMatch;
import dev.trellis.model.WeightedDestination;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class RouteTableTest {
    private static Route route(String name, RouteMatch... matches) {
        HttpRoute model = new HttpRoute(name, List.of(matches),
                List.of(new WeightedDestination(new RouteDestination("a", Optional.empty(), OptionalInt.empty()), 100,
                        HeaderOps.NONE, HeaderOps.NONE)),
                HeaderOps.NONE, HeaderOps.NONE, Optional.empty());
        return new Route(model, d -> null);
    }

    private static RouteMatch uri(StringMatch match, boolean ignoreCase) {
        return new RouteMatch(Optional.of(match), Optional.empty(), Optional.empty(), Map.of(), ignoreCase);
    }

    private static HttpRequest get(String uri, String... headers) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
        for (int i = 0; i < headers.length; i += 2) {
            request.headers().add(headers[i], headers[i + 1]);
        }
        return request;
    }

    private static String matched(RouteTable table, HttpRequest request) {
        RequestMatcher match = table.match(request);
        return match == null ? null : match.route().name();
    }

    @Test
    void firstMatchingRouteWins() {
        RouteTable table = new RouteTable(List.of(
                route("exact", uri(new StringMatch.Exact("/a"), false)),
                route("prefix", uri(new StringMatch.Prefix("/a"), false)),
                route("any")));
        assertThat(matched(table, get("/a"))).isEqualTo("exact");
        assertThat(matched(table, get("/a?x=1"))).as("exact ignores the query").isEqualTo("exact");
        assertThat(matched(table, get("/ab"))).isEqualTo("prefix");
        assertThat(matched(table, get("/b"))).isEqualTo("any");
    }

    @Test
    void noMatchIsNull() {
        RouteTable table = new RouteTable(List.of(route("only", uri(new StringMatch.Prefix("/api/"), false))));
        assertThat(table.match(get("/web"))).isNull();
    }

    @Test
    void regexMatchesTheWholePathAndCaseCanBeIgnored() {
        RouteTable table = new RouteTable(List.of(
                route("regex", uri(new StringMatch.Regex("/items/[0-9]+"), false)),
                route("nocase", uri(new StringMatch.Prefix("/Docs"), true))));
        assertThat(matched(table, get("/items/42?q"))).isEqualTo("regex");
        assertThat(matched(table, get("/items/42/x"))).isNull();
        assertThat(matched(table, get("/DOCS/intro"))).isEqualTo("nocase");
    }

    @Test
    void allConditionsOfAMatchMustHoldAndAnyMatchSelects() {
        RouteMatch postWithHeader = new RouteMatch(Optional.empty(), Optional.of(new StringMatch.Exact("POST")),
                Optional.of(new StringMatch.Prefix("api.")), Map.of("x-env", new StringMatch.Regex("prod|staging")), false);
        RouteTable table = new RouteTable(List.of(route("both", postWithHeader, uri(new StringMatch.Exact("/health"), false))));
        HttpRequest post = get("/", "Host", "api.example", "x-env", "prod");
        post.setMethod(HttpMethod.POST);
        assertThat(matched(table, post)).isEqualTo("both");
        post.headers().set("x-env", "dev");
        assertThat(matched(table, post)).isNull();
        assertThat(matched(table, get("/", "Host", "api.example", "x-env", "prod"))).as("method must match").isNull();
        assertThat(matched(table, get("/health"))).as("second match alone selects").isEqualTo("both");
    }

    @Test
    void uriRewriteReplacesThePrefixOrTheWholePath() {
        RouteTable table = new RouteTable(List.of(
                route("prefix", uri(new StringMatch.Prefix("/v1/"), false)),
                route("exact", uri(new StringMatch.Exact("/old"), false))));
        assertThat(table.match(get("/v1/items?a=b")).rewriteUri("/v1/items?a=b", "/api/")).isEqualTo("/api/items?a=b");
        assertThat(table.match(get("/old?a=b")).rewriteUri("/old?a=b", "/new")).isEqualTo("/new?a=b");
    }
}
