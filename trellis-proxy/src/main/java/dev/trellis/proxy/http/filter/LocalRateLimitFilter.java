package dev.trellis.proxy.http.filter;

import dev.trellis.proxy.telemetry.ResponseFlag;
import dev.trellis.proxy.route.RateLimit;
import dev.trellis.proxy.route.Route;
import dev.trellis.proxy.route.RouteTable;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Envoy's local rate limit filter: a request takes a token from its route's bucket, else the
 * filter's own; with none left it is answered 429. Buckets live as long as the listener config
 * that made them, and are shared by every connection and event loop.
 */
final class LocalRateLimitFilter implements HttpFilter {
    private final TokenBucket defaults;
    private final Map<Route, TokenBucket> byRoute = new IdentityHashMap<>();

    LocalRateLimitFilter(RateLimit defaults, RouteTable routes) {
        long now = System.nanoTime();
        this.defaults = defaults == null ? null : new TokenBucket(defaults, now);
        for (Route route : routes.routes()) {
            RateLimit limit = route.policy().rateLimit();
            if (limit != null) {
                byRoute.put(route, new TokenBucket(limit, now));
            }
        }
    }

    @Override
    public Status onRequest(FilterCallbacks request) {
        TokenBucket bucket = byRoute.getOrDefault(request.route(), defaults);
        if (bucket == null || bucket.tryTake(System.nanoTime())) {
            return Status.CONTINUE;
        }
        request.respond(HttpResponseStatus.TOO_MANY_REQUESTS, -1, "local rate limited", ResponseFlag.RATE_LIMITED);
        return Status.STOP;
    }
}
