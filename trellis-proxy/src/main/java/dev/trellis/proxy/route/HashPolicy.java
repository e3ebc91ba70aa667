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
    }

    /** What a hash key may read of a request, and how it asks for a cookie to be set. */
    public interface Request {
        String header(String name);

        String cookie(String name);

        String sourceIp();

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
            };
            if (value != null) {
                return value;
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
