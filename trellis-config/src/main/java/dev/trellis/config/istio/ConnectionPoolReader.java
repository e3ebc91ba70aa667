package dev.trellis.config.istio;

import dev.trellis.config.internal.Choices;
import dev.trellis.config.internal.Durations;
import dev.trellis.config.internal.Fields;
import dev.trellis.config.internal.Node;
import dev.trellis.model.ConnectionPool;
import dev.trellis.model.ConnectionPool.H2UpgradePolicy;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Reads a trafficPolicy's {@code connectionPool}. Counts are Istio's int32s, where 0 means unset
 * (no limit); durations are Istio's, 1 ms or more in whole milliseconds; keep-alive times are whole
 * seconds, the unit Envoy counts them in.
 */
final class ConnectionPoolReader {
    private static final Fields POOL = Fields.of("tcp", "http");
    private static final Fields TCP = Fields.of("maxConnections", "connectTimeout", "tcpKeepalive")
            .notImplemented("maxConnectionDuration", "idleTimeout");
    private static final Fields KEEPALIVE = Fields.of("probes", "time", "interval");
    private static final Fields HTTP = Fields.of("http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection",
                    "maxRetries", "idleTimeout", "h2UpgradePolicy")
            .notImplemented("useClientProtocol", "maxConcurrentStreams");
    private static final Choices<H2UpgradePolicy> H2_UPGRADE = Choices.of("DEFAULT", H2UpgradePolicy.DEFAULT)
            .or("DO_NOT_UPGRADE", H2UpgradePolicy.DO_NOT_UPGRADE)
            .or("UPGRADE", H2UpgradePolicy.UPGRADE);
    private static final String EXPECTED_SECONDS = "whole seconds, 1s or more (Envoy counts keep-alive times in seconds)";

    private ConnectionPoolReader() {}

    static Optional<ConnectionPool> read(Node pool) {
        if (!pool.isObject(POOL)) {
            return Optional.empty();
        }
        Node tcp = pool.get("tcp");
        Node http = pool.get("http");
        if (!tcp.isPresent() && !http.isPresent()) {
            pool.problem("at least one of tcp, http, as Istio requires");
            return Optional.empty();
        }
        boolean tcpRead = tcp.isObject(TCP);
        boolean httpRead = http.isObject(HTTP);
        int maxConnections = tcpRead ? count(tcp.get("maxConnections")) : 0;
        Optional<Duration> connectTimeout = tcpRead ? Durations.millis(tcp.get("connectTimeout")) : Optional.empty();
        Optional<ConnectionPool.TcpKeepalive> keepalive = tcpRead ? keepalive(tcp.get("tcpKeepalive")) : Optional.empty();
        return Optional.of(new ConnectionPool(
                maxConnections,
                connectTimeout,
                keepalive,
                httpRead ? count(http.get("http1MaxPendingRequests")) : 0,
                httpRead ? count(http.get("http2MaxRequests")) : 0,
                httpRead ? count(http.get("maxRequestsPerConnection")) : 0,
                httpRead ? count(http.get("maxRetries")) : 0,
                httpRead ? Durations.millis(http.get("idleTimeout")) : Optional.empty(),
                httpRead ? http.get("h2UpgradePolicy").oneOf(H2_UPGRADE).orElse(H2UpgradePolicy.DEFAULT) : H2UpgradePolicy.DEFAULT));
    }

    private static int count(Node n) {
        return n.integer(0, Integer.MAX_VALUE).orElse(0);
    }

    /** An empty block turns keep-alive on with the system's probes and times, as in Istio. */
    private static Optional<ConnectionPool.TcpKeepalive> keepalive(Node keepalive) {
        if (!keepalive.isObject(KEEPALIVE)) {
            return Optional.empty();
        }
        OptionalInt probes = keepalive.get("probes").integer(1, Integer.MAX_VALUE);
        return Optional.of(new ConnectionPool.TcpKeepalive(probes, seconds(keepalive.get("time")), seconds(keepalive.get("interval"))));
    }

    private static Optional<Duration> seconds(Node n) {
        Optional<Duration> duration = Durations.optional(n);
        if (duration.isPresent() && (duration.get().getNano() != 0 || duration.get().getSeconds() < 1)) {
            n.problem(EXPECTED_SECONDS);
            return Optional.empty();
        }
        return duration;
    }
}
