package dev.trellis.proxy.route;

import dev.trellis.model.RouteMatch;
import dev.trellis.model.StringMatch;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;

/**
 * A compiled {@link RouteMatch}: every condition must hold. Exact and regex uri matches see the
 * path without its query string; a prefix sees the whole request target, as in Envoy.
 */
public final class RequestMatcher {
    private static final String[] NO_NAMES = {};

    private final Route route;
    private final StringMatcher uri;
    private final StringMatcher method;
    private final StringMatcher authority;
    private final String[] headerNames;
    private final StringMatcher[] headerValues;

    RequestMatcher(Route route, RouteMatch match) {
        this.route = route;
        // As in Istio, ignoreUriCase applies to exact and prefix matches, not to regular expressions.
        this.uri = match.uri()
                .map(m -> StringMatcher.of(m, match.ignoreUriCase() && !(m instanceof StringMatch.Regex)))
                .orElse(null);
        this.method = match.method().map(m -> StringMatcher.of(m, false)).orElse(null);
        this.authority = match.authority().map(m -> StringMatcher.of(m, true)).orElse(null);
        this.headerNames = match.headers().keySet().toArray(NO_NAMES);
        this.headerValues = new StringMatcher[headerNames.length];
        for (int i = 0; i < headerNames.length; i++) {
            headerValues[i] = StringMatcher.of(match.headers().get(headerNames[i]), false);
        }
    }

    public Route route() {
        return route;
    }

    boolean matches(HttpRequest request) {
        if (uri != null) {
            String target = request.uri();
            if (!uri.matches(uri.rewritablePrefix() != null ? target : pathOf(target))) {
                return false;
            }
        }
        if (method != null && !method.matches(request.method().name())) {
            return false;
        }
        if (authority != null) {
            String host = request.headers().get(HttpHeaderNames.HOST);
            if (host == null || !authority.matches(host)) {
                return false;
            }
        }
        for (int i = 0; i < headerNames.length; i++) {
            String value = request.headers().get(headerNames[i]);
            if (value == null || !headerValues[i].matches(value)) {
                return false;
            }
        }
        return true;
    }

    /** The request target after the route's uri rewrite, if it has one. */
    public String rewriteUri(String target, String replacement) {
        String prefix = uri != null ? uri.rewritablePrefix() : null;
        if (prefix != null) {
            return replacement + target.substring(prefix.length());
        }
        int query = target.indexOf('?');
        return query < 0 ? replacement : replacement + target.substring(query);
    }

    static String pathOf(String target) {
        int query = target.indexOf('?');
        return query < 0 ? target : target.substring(0, query);
    }

}
