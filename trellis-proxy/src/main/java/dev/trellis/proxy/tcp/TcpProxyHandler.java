package dev.trellis.proxy.tcp;

import dev.trellis.proxy.balance.Endpoint;
import dev.trellis.proxy.config.Cluster;
import dev.trellis.proxy.resilience.CircuitBreaker;
import dev.trellis.proxy.resilience.LocalOriginFailure;
import dev.trellis.proxy.resilience.OutlierDetector;
import dev.trellis.proxy.resilience.Permit;
import dev.trellis.proxy.listener.ListenerContext;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opaque TCP: for each accepted connection, picks an endpoint of the listener's cluster,
 * connects to it and relays bytes both ways. Reading from the client waits until the upstream
 * connection is up. The cluster's breaker bounds its connections ({@code maxConnections}: past it
 * the client's connection is closed at once), its connect timeout and keep-alive apply, and the
 * outcome of each connect feeds outlier detection, as Envoy's TCP proxy does.
 */
public final class TcpProxyHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(TcpProxyHandler.class);

    private final ListenerContext listener;
    private final Class<? extends SocketChannel> channelClass;

    public TcpProxyHandler(ListenerContext listener, Class<? extends SocketChannel> channelClass) {
        this.listener = listener;
        this.channelClass = channelClass;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel client = ctx.channel();
        client.config().setAutoRead(false);
        Cluster cluster = listener.config().tcpCluster();
        boolean hashSourceIp = listener.config().tcpHashSourceIp();
        Endpoint endpoint = cluster.balancer().pick(() -> hashSourceIp ? sourceIp(client) : null);
        if (endpoint == null) {
            log.warn("no endpoint for {}: closing connection from {}", cluster.name(), client.remoteAddress());
            client.close();
            return;
        }
        Permit permit = cluster.breaker().tryAcquire(CircuitBreaker.Resource.CONNECTIONS);
        if (!permit.granted()) {
            cluster.stats().connectionOverflow();
            log.debug("{}: maxConnections reached, closing connection from {}", cluster.name(), client.remoteAddress());
            client.close();
            return;
        }
        endpoint.requestStarted();
        Bootstrap bootstrap = new Bootstrap()
                .group(client.eventLoop())
                .channel(channelClass)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(Integer.MAX_VALUE, cluster.upstream().connectTimeout().toMillis()))
                .handler(new RelayHandler(client));
        if (cluster.upstream().keepalive() != null) {
            bootstrap.option(ChannelOption.SO_KEEPALIVE, true);
        }
        ChannelFuture connect = bootstrap.connect(endpoint.address());
        Channel server = connect.channel();
        server.closeFuture().addListener(f -> {
            endpoint.requestEnded();
            permit.release();
        });
        OutlierDetector outlier = cluster.outlier();
        connect.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                log.warn("upstream connect error to {} ({}): {}", endpoint, cluster.name(), f.cause().getMessage());
                if (outlier != null) {
                    outlier.onLocalOriginFailure(endpoint, LocalOriginFailure.CONNECT_FAILED, System.nanoTime());
                }
                client.close();
                return;
            }
            if (outlier != null) {
                outlier.onTcpConnected(endpoint, System.nanoTime());
            }
            ctx.pipeline().replace(this, "relay", new RelayHandler(server));
            client.config().setAutoRead(true);
            server.config().setAutoRead(true);
        });
        client.closeFuture().addListener(f -> {
            if (!connect.isDone()) {
                server.close();
            }
        });
    }

    private static String sourceIp(Channel client) {
        return client.remoteAddress() instanceof InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress().getHostAddress()
                : null;
    }
}
