package dev.trellis.proxy.config;

import dev.trellis.proxy.route.Fault;
import dev.trellis.proxy.route.RateLimit;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What an HTTP listener does to every request apart from routing: Envoy's HTTP connection manager
 * settings and its HTTP filters before the router.
 *
 * @param streamIdleTimeout how long a request may see no activity in either direction before it is
 *     reset, or ZERO for no limit ({@code stream_idle_timeout}; Envoy's default 5 min)
 * @param filters the filters run before the router, in order
 */
public record HttpOptions(Duration streamIdleTimeout, List<Filter> filters) {
    public static final Duration DEFAULT_STREAM_IDLE_TIMEOUT = Duration.ofMinutes(5);

    /** Envoy's defaults and no filter but the router. */
    public static final HttpOptions DEFAULT = new HttpOptions(DEFAULT_STREAM_IDLE_TIMEOUT, List.of());

    public HttpOptions {
        Objects.requireNonNull(streamIdleTimeout, "streamIdleTimeout");
        filters = List.copyOf(filters);
    }

    /** An HTTP filter of the listener; routes may override its settings. */
    public sealed interface Filter {
        /** {@code envoy.filters.http.fault}: the route's {@link Fault}, else {@code defaults} if not null. */
        record FaultInjection(Fault defaults) implements Filter {}

        /** {@code envoy.filters.http.local_ratelimit}: the route's {@link RateLimit}, else {@code defaults} if not null. */
        record LocalRateLimit(RateLimit defaults) implements Filter {}
    }
}
