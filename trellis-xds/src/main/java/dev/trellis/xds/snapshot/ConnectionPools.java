package dev.trellis.xds.snapshot;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import dev.trellis.model.ConcurrentRetryBudget;
import dev.trellis.model.ConnectionPool;
import dev.trellis.model.Protocol;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.UpstreamConnectionOptions;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.TcpKeepalive;
import io.envoyproxy.envoy.type.v3.Percent;
import java.time.Duration;
import java.util.Optional;

/**
 * Istio's {@code connectionPool} and {@code retryBudget} as a cluster's Envoy fields, filled as
 * Istio's {@code applyConnectionPool} fills them, for every cluster whether a rule sets them or not:
 * {@code circuit_breakers} with one DEFAULT threshold (a limit left unset is 2^32-1, as Istio sets
 * it, since Envoy's own defaults of 1024 and 3 retries starve busy services), {@code connect_timeout}
 * (Istio's 10 s), {@code upstream_connection_options.tcp_keepalive}, and the upstream HTTP options:
 * HTTP/2 for HTTP2 and GRPC ports and where {@code h2UpgradePolicy} is UPGRADE, and the idle timeout
 * and request limit per connection in {@code common_http_protocol_options}.
 */
final class ConnectionPools {
    /** Istio's mesh-wide default {@code connectTimeout}. */
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** 2^32-1, Envoy's largest threshold: what Istio sets a limit nobody gave to. */
    static final long UNLIMITED = 0xFFFF_FFFFL;
    /** The key Envoy reads upstream HTTP options under. */
    static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    private ConnectionPools() {}

    static void apply(Cluster.Builder cluster, Protocol protocol, Optional<ConnectionPool> pool, Optional<ConcurrentRetryBudget> budget) {
        cluster.setConnectTimeout(Protos.duration(pool.flatMap(ConnectionPool::connectTimeout).orElse(DEFAULT_CONNECT_TIMEOUT)));
        cluster.setCircuitBreakers(CircuitBreakers.newBuilder().addThresholds(thresholds(pool, budget)));
        pool.flatMap(ConnectionPool::tcpKeepalive).ifPresent(k -> cluster.setUpstreamConnectionOptions(
                UpstreamConnectionOptions.newBuilder().setTcpKeepalive(keepalive(k))));
        boolean http2 = protocol.requiresHttp2()
                || pool.map(p -> p.h2UpgradePolicy() == ConnectionPool.H2UpgradePolicy.UPGRADE).orElse(false);
        HttpProtocolOptions.Builder common = HttpProtocolOptions.newBuilder();
        pool.flatMap(ConnectionPool::idleTimeout).ifPresent(t -> common.setIdleTimeout(Protos.duration(t)));
        pool.filter(p -> p.maxRequestsPerConnection() > 0)
                .ifPresent(p -> common.setMaxRequestsPerConnection(UInt32Value.of(p.maxRequestsPerConnection())));
        boolean hasCommon = common.hasIdleTimeout() || common.hasMaxRequestsPerConnection();
        if (http2 || hasCommon) {
            io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig.Builder explicit =
                    io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig.newBuilder();
            if (http2) {
                explicit.setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance());
            } else {
                explicit.setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance()); // Envoy requires a protocol choice
            }
            io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.Builder options =
                    io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.newBuilder().setExplicitHttpConfig(explicit);
            if (hasCommon) {
                options.setCommonHttpProtocolOptions(common);
            }
            cluster.putTypedExtensionProtocolOptions(HTTP_PROTOCOL_OPTIONS, Any.pack(options.build()));
        }
    }

    /** Counts are Istio's: 0 is unset. */
    private static CircuitBreakers.Thresholds thresholds(Optional<ConnectionPool> pool, Optional<ConcurrentRetryBudget> budget) {
        CircuitBreakers.Thresholds.Builder thresholds = CircuitBreakers.Thresholds.newBuilder()
                .setMaxConnections(limit(pool.map(ConnectionPool::maxConnections).orElse(0)))
                .setMaxPendingRequests(limit(pool.map(ConnectionPool::http1MaxPendingRequests).orElse(0)))
                .setMaxRequests(limit(pool.map(ConnectionPool::http2MaxRequests).orElse(0)))
                .setMaxRetries(limit(pool.map(ConnectionPool::maxRetries).orElse(0)));
        budget.ifPresent(b -> thresholds.setRetryBudget(CircuitBreakers.Thresholds.RetryBudget.newBuilder()
                .setBudgetPercent(Percent.newBuilder().setValue(b.percent()))
                .setMinRetryConcurrency(UInt32Value.of((int) b.minRetryConcurrency()))));
        return thresholds.build();
    }

    static UInt32Value limit(int count) {
        return UInt32Value.of(count > 0 ? count : (int) UNLIMITED);
    }

    /** Envoy counts keep-alive times in whole seconds; an empty block keeps the system's values. */
    private static TcpKeepalive keepalive(ConnectionPool.TcpKeepalive keepalive) {
        TcpKeepalive.Builder tcp = TcpKeepalive.newBuilder();
        keepalive.probes().ifPresent(p -> tcp.setKeepaliveProbes(UInt32Value.of(p)));
        keepalive.time().ifPresent(t -> tcp.setKeepaliveTime(UInt32Value.of((int) t.toSeconds())));
        keepalive.interval().ifPresent(i -> tcp.setKeepaliveInterval(UInt32Value.of((int) i.toSeconds())));
        return tcp.build();
    }
}
