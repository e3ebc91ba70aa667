package dev.trellis.model;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Istio's {@code connectionPool}: limits on connections and requests to a destination, and how its
 * connections are made and kept. As in Istio, a count of 0 means unset: no limit of its own (Envoy's
 * thresholds are then 2^32-1).
 *
 * @param maxConnections {@code tcp.maxConnections}: connections open to all endpoints at once
 * @param connectTimeout {@code tcp.connectTimeout}; empty for Istio's 10 s
 * @param tcpKeepalive {@code tcp.tcpKeepalive}; empty for none
 * @param http1MaxPendingRequests {@code http.http1MaxPendingRequests}: requests waiting for a connection
 * @param http2MaxRequests {@code http.http2MaxRequests}: requests outstanding to the destination
 * @param maxRequestsPerConnection {@code http.maxRequestsPerConnection}: after this many requests a
 *     connection is closed
 * @param maxRetries {@code http.maxRetries}: retries outstanding to the destination
 * @param idleTimeout {@code http.idleTimeout}: how long an unused connection stays open; empty for
 *     Envoy's 1 h, zero for no limit
 * @param h2UpgradePolicy {@code http.h2UpgradePolicy}
 */
public record ConnectionPool(
        int maxConnections,
        Optional<Duration> connectTimeout,
        Optional<TcpKeepalive> tcpKeepalive,
        int http1MaxPendingRequests,
        int http2MaxRequests,
        int maxRequestsPerConnection,
        int maxRetries,
        Optional<Duration> idleTimeout,
        H2UpgradePolicy h2UpgradePolicy) {
    public ConnectionPool {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(tcpKeepalive, "tcpKeepalive");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(h2UpgradePolicy, "h2UpgradePolicy");
    }

    /** Whether requests to an HTTP/1.1 port are sent over HTTP/2, as Istio's {@code h2UpgradePolicy} says. */
    public enum H2UpgradePolicy {
        /** The mesh's choice, which is Istio's default: no upgrade. */
        DEFAULT,
        DO_NOT_UPGRADE,
        /** HTTP/2 to the endpoints, as for an HTTP2 port. */
        UPGRADE
    }

    /**
     * Istio's {@code tcp.tcpKeepalive}: keep-alive probes on upstream connections. An empty field
     * keeps the system's value.
     *
     * @param probes unanswered probes before the connection is dropped
     * @param time idle time before the first probe, in whole seconds
     * @param interval time between probes, in whole seconds
     */
    public record TcpKeepalive(OptionalInt probes, Optional<Duration> time, Optional<Duration> interval) {
        public TcpKeepalive {
            Objects.requireNonNull(probes, "probes");
            Objects.requireNonNull(time, "time");
            Objects.requireNonNull(interval, "interval");
        }
    }
}
