package dev.trellis.proxy.route;

import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What a route hashes a request by, for consistent hashing: Envoy's {@code hash_policy}. The
 * keys are tried in order and the first that yields a value decides; with none, the pick is random.
 */
public record HashPolicy(List<Key> keys) {
    public static final HashPolicy NONE = new HashPolicy(List.of());

    public HashPolicy {
        keys = List.copyOf(keys);
    }

    /** One source of a hash key. */
    public sealed interface Key {
        /** The value of a request header. */
        record Header(String name) implements Key {}

        /**
         * The value of a cookie. When the request has none and {@code ttl} is not null, the proxy
         * generates one and sets it on the response (a session cookie when the ttl is zero), so
         * the client sticks from then on.
         */
        record Cookie(String name, String path, Duration ttl) implements Key {}

        /** The client's IP address. */
        record SourceIp() implements Key {}

        /**
         * The value of a query parameter of the request's path, as sent (not decoded): the first
         * when it repeats, as Envoy takes it. Names compare case-sensitively.
         */
        record QueryParameter(String name) implements Key {}
    }

    /** What a hash key may read of a request, and how it asks for a cookie to be set. */
    public interface Request {
        String header(String name);

        String cookie(String name);

        String sourceIp();

        /**
         * The first value of the query parameter {@code name}, as sent; null when the request has
         * none. A request that only knows its path implements it as {@code queryParameter(path, name)}.
         * The default has no path to read and finds none: a request must override it for query
         * parameter keys to place it.
         */
        default String queryParameter(String name) {
            return null;
        }

        /** @param ttl the cookie's lifetime; zero for a session cookie */
        void setResponseCookie(String name, String value, String path, Duration ttl);
    }

    /** The key of this request, or null. */
    public String key(Request request) {
        for (Key key : keys) {
            String value = switch (key) {
                case Key.Header h -> request.header(h.name());
                case Key.SourceIp ignored -> request.sourceIp();
                case Key.Cookie c -> cookie(c, request);
                case Key.QueryParameter q -> request.queryParameter(q.name());
            };
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    /**
     * The first value of the query parameter {@code name} in a request target such as {@code
     * /items?user=ann&x=1}, not decoded (Envoy's {@code query_parameter} hash reads it so); null when
     * there is none. A parameter without {@code =} has the empty value.
     */
    public static String queryParameter(String target, String name) {
        int query = target.indexOf('?');
        if (query < 0) {
            return null;
        }
        int end = target.indexOf('#', query);
        String params = target.substring(query + 1, end < 0 ? target.length() : end);
        for (String param : params.split("&", -1)) {
            int eq = param.indexOf('=');
            if ((eq < 0 ? param : param.substring(0, eq)).equals(name)) {
                return eq < 0 ? "" : param.substring(eq + 1);
            }
        }
        return null;
    }

    private static String cookie(Key.Cookie c, Request request) {
        String value = request.cookie(c.name());
        if (value == null && c.ttl() != null) {
            byte[] random = new byte[8];
            ThreadLocalRandom.current().nextBytes(random);
            value = HexFormat.of().formatHex(random);
            request.setResponseCookie(c.name(), value, c.path(), c.ttl());
        }
        return value;
    }
}
