package dev.trellis.controlplane.api;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The control plane's HTTP JSON API. Requests are answered one at a time off the I/O thread: an
 * apply writes to the store, and a slow disk must not stall other connections' I/O.
 */
public final class ApiServer implements AutoCloseable {
    /** The largest request body: an apply of many documents. */
    static final int MAX_BODY = 8 * 1024 * 1024;

    private final EventLoopGroup io;
    private final ExecutorService work;
    private final Channel channel;

    private ApiServer(EventLoopGroup io, ExecutorService work, Channel channel) {
        this.io = io;
        this.work = work;
        this.channel = channel;
    }

    /** @throws IllegalStateException naming the address when it cannot be bound */
    public static ApiServer bind(String host, int port, ControlPlaneApi api) {
        EventLoopGroup io = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("trellis-api-io", true), NioIoHandler.newFactory());
        ExecutorService work = Executors.newSingleThreadExecutor(new DefaultThreadFactory("trellis-api", true));
        ApiHandler handler = new ApiHandler(api, work);
        try {
            Channel channel = new ServerBootstrap()
                    .group(io)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpServerKeepAliveHandler(),
                                    new HttpObjectAggregator(MAX_BODY), handler);
                        }
                    })
                    .bind(host, port)
                    .sync()
                    .channel();
            return new ApiServer(io, work, channel);
        } catch (Exception e) {
            io.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            work.shutdownNow();
            throw new IllegalStateException("HTTP API: cannot bind " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        work.shutdown();
        try {
            work.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        io.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
