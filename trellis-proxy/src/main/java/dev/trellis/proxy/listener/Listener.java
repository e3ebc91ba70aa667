package dev.trellis.proxy.listener;

import dev.trellis.proxy.config.ListenerConfig;
import dev.trellis.proxy.http.Http2ServerConnection;
import dev.trellis.proxy.http.HttpProxyHandler;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;

/** One bound listening socket and the connections it accepted. */
public final class Listener {
    private final ListenerContext context;
    private final Channel serverChannel;
    private final ChannelGroup connections;

    private Listener(ListenerContext context, Channel serverChannel, ChannelGroup connections) {
        this.context = context;
        this.serverChannel = serverChannel;
        this.connections = connections;
    }

    /** Binds the listener's address; throws when the port cannot be bound. */
    public static Listener bind(ListenerContext context, EventLoopGroup group, Transport transport, long drainMillis)
            throws InterruptedException {
        ListenerConfig config = context.config();
        ChannelGroup connections = new DefaultChannelGroup(config.name(), GlobalEventExecutor.INSTANCE);
        Channel server = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ConnectionInitializer(context, connections, transport.channel(), drainMillis))
                .bind(config.host(), config.port())
                .sync()
                .channel();
        return new Listener(context, server, connections);
    }

    public ListenerContext context() {
        return context;
    }

    /** The port actually bound (the chosen one when the config said 0). */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** Stops accepting new connections; open ones carry on. */
    public void stopAccepting() {
        serverChannel.close().syncUninterruptibly();
    }

    /**
     * Asks every open connection to finish: idle HTTP/1.1 connections close now, busy ones after
     * their response; HTTP/2 connections send GOAWAY and close when their streams are done. TCP
     * connections carry on until they end or the drain times out.
     */
    public void drain() {
        for (Channel connection : connections) {
            connection.eventLoop().execute(() -> {
                HttpProxyHandler http1 = connection.pipeline().get(HttpProxyHandler.class);
                if (http1 != null) {
                    http1.drain();
                } else if (connection.pipeline().get(Http2ServerConnection.class) != null) {
                    connection.close();
                }
            });
        }
    }

    /** Open connections. */
    public int connectionCount() {
        return connections.size();
    }

    /** Closes every connection at once. */
    public void closeConnections() {
        connections.close().awaitUninterruptibly();
    }
}
