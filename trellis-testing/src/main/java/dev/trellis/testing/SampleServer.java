package dev.trellis.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lifecycle shared by the sample servers: bind 127.0.0.1 once, report the port, shut down fully.
 * Subclasses only say what their connections speak, through {@link #childHandler()}.
 */
public abstract sealed class SampleServer implements AutoCloseable
        permits HttpEchoServer, WebSocketEchoServer, TcpEchoServer {

    /** The only address the sample servers bind: they are for tests and demos on one machine. */
    public static final String HOST = "127.0.0.1";

    private final String name;
    private final int requestedPort;
    private final AtomicLong accepted = new AtomicLong();
    private EventLoopGroup group;
    private Channel channel;

    SampleServer(String name, int port) {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name: '" + name + "' (expected: a non-blank name)");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0..65535, 0 for an ephemeral port)");
        }
        this.name = name;
        this.requestedPort = port;
    }

    /** The handler installed on every accepted connection. */
    abstract ChannelHandler childHandler();

    /**
     * Binds the server; returns once it accepts connections.
     *
     * @throws IllegalStateException if it was already started or the port cannot be bound
     */
    public synchronized SampleServer start() {
        if (group != null) {
            throw new IllegalStateException(name + ": already started");
        }
        EventLoopGroup newGroup = new MultiThreadIoEventLoopGroup(
                0, new DefaultThreadFactory(name), NioIoHandler.newFactory());
        try {
            channel = new ServerBootstrap()
                    .group(newGroup)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object acceptedChannel) {
                            accepted.incrementAndGet();
                            ctx.fireChannelRead(acceptedChannel);
                        }
                    })
                    .childHandler(childHandler())
                    .bind(HOST, requestedPort)
                    .syncUninterruptibly()
                    .channel();
        } catch (Exception e) { // syncUninterruptibly() rethrows the checked BindException undeclared.
            shutdown(newGroup);
            throw new IllegalStateException(
                    name + ": cannot bind " + HOST + ":" + requestedPort + ": " + e.getMessage(), e);
        }
        group = newGroup;
        return this;
    }

    /** The bound port (the ephemeral one if the server was built with port 0). */
    public synchronized int port() {
        if (channel == null) {
            throw new IllegalStateException(name + ": not started");
        }
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** How many connections this server has accepted since it was built. */
    public long connectionCount() {
        return accepted.get();
    }

    public String name() {
        return name;
    }

    /**
     * Stops accepting, closes every open connection and waits for the event loops to end (about a
     * second at most). Idempotent.
     */
    @Override
    public synchronized void close() {
        if (group == null) {
            return;
        }
        channel.close().syncUninterruptibly();
        shutdown(group);
        group = null;
    }

    private static void shutdown(EventLoopGroup group) {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + "]";
    }
}
