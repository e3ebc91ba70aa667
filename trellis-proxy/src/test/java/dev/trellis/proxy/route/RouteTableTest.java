package dev.trellis.proxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RouteTableTest {
    private static Route route(String name, StringMatcher path) {
        WeightedCluster cluster = new WeightedCluster(name, null, 1, HeaderMutation.NONE, HeaderMutation.NONE, null);
        return new Route(name, new RequestMatcher(path, null, null, List.of()), List.of(cluster),
                HeaderMutation.NONE, HeaderMutation.NONE, null, null, HashPolicy.NONE);
    }

    private static HttpRequest get(String target) {
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, target);
    }

    private final RouteTable table = new RouteTable(List.of(
            route("exact", StringMatcher.exact("/healthz", false)),
            route("regex", StringMatcher.regex(Pattern.compile("/users/[0-9]+"))),
            route("prefix", StringMatcher.prefix("/api/", false))));

    private String matched(String target) {
        Route route = table.match(get(target));
        return route == null ? null : route.name();
    }

    @Test
    void exactAndRegexPathsIgnoreTheQueryAndPrefixesSeeTheWholeTarget() {
        assertThat(matched("/healthz")).isEqualTo("exact");
        assertThat(matched("/healthz?verbose=1")).isEqualTo("exact");
        assertThat(matched("/users/42?fields=name")).isEqualTo("regex");
        assertThat(matched("/users/42x")).isNull();
        assertThat(matched("/api/?q=1")).isEqualTo("prefix");
        assertThat(matched("/healthzz")).isNull();
    }

    /** Routes are shared by every event loop; each thread's regex matcher is its own. */
    @Test
    void aRegexRouteMatchesRightFromManyThreadsAtOnce() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> wrong = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int offset = t;
                wrong.add(threads.submit(() -> {
                    int mistakes = 0;
                    for (int i = 0; i < 20_000; i++) {
                        boolean user = (i + offset) % 2 == 0;
                        String expected = user ? "regex" : null;
                        String got = matched(user ? "/users/" + i : "/users/" + i + "/x");
                        if (!Objects.equals(expected, got)) {
                            mistakes++;
                        }
                    }
                    return mistakes;
                }));
            }
            for (Future<Integer> mistakes : wrong) {
                assertThat(mistakes.get()).isZero();
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
