package dev.trellis.proxy.admin;

import dev.trellis.proxy.ProxyServer;
import dev.trellis.proxy.listener.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import java.net.InetSocketAddress;

/** The admin listener on loopback: readiness, config dump and Prometheus metrics. */
public final class AdminServer implements AutoCloseable {
    private static final String HOST = "127.0.0.1";

    private final Channel channel;

    private AdminServer(Channel channel) {
        this.channel = channel;
    }

    public static AdminServer bind(ProxyServer proxy, EventLoopGroup group, Transport transport, int port) {
        AdminHandler handler = new AdminHandler(proxy);
        try {
            Channel channel = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannel())
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(
                                    new HttpServerCodec(), new HttpServerKeepAliveHandler(), new HttpObjectAggregator(64 * 1024), handler);
                        }
                    })
                    .bind(HOST, port)
                    .sync()
                    .channel();
            return new AdminServer(channel);
        } catch (Exception e) {
            throw new IllegalStateException("admin: cannot bind " + HOST + ":" + port + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
