package dev.trellis.proxy.route;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.util.List;

/**
 * The conditions of one route; every one must hold. As in Envoy, a prefix sees the whole request
 * target, while exact and regex path conditions see the path without its query string.
 *
 * @param path a condition on the request target, or null
 * @param method a condition on the method, or null
 * @param authority a condition on the Host (:authority), or null
 * @param headers conditions on other headers, each needing the header to be present
 */
public record RequestMatcher(StringMatcher path, StringMatcher method, StringMatcher authority, List<HeaderCondition> headers) {
    public static final RequestMatcher ANY = new RequestMatcher(null, null, null, List.of());

    /** A header (lower-case name) that must be present with a matching value. */
    public record HeaderCondition(String name, StringMatcher value) {}

    public RequestMatcher {
        headers = List.copyOf(headers);
    }

    /** Whether the path condition reads the path without its query (all but a prefix do). */
    boolean readsPathWithoutQuery() {
        return path != null && path.prefix() == null;
    }

    /**
     * @param target the request target, as sent
     * @param pathWithoutQuery the target without its query; may be null when
     *     {@link #readsPathWithoutQuery()} is false
     */
    boolean matches(HttpRequest request, String target, String pathWithoutQuery) {
        if (path != null && !path.matches(path.prefix() != null ? target : pathWithoutQuery)) {
            return false;
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
        for (int i = 0; i < headers.size(); i++) {
            HeaderCondition condition = headers.get(i);
            String value = request.headers().get(condition.name());
            if (value == null || !condition.value().matches(value)) {
                return false;
            }
        }
        return true;
    }

    static String pathOf(String target) {
        int query = target.indexOf('?');
        return query < 0 ? target : target.substring(0, query);
    }
}
