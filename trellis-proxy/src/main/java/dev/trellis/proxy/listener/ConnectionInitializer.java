package dev.trellis.proxy.listener;

import dev.trellis.proxy.config.ListenerConfig;
import dev.trellis.proxy.http.Http2ServerConnection;
import dev.trellis.proxy.http.HttpProxyHandler;
import dev.trellis.proxy.http.SizedHeaders;
import dev.trellis.proxy.tcp.TcpProxyHandler;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.AsciiString;

/**
 * Sets up each accepted connection by the listener's protocol: opaque TCP, or HTTP where one
 * port serves HTTP/1.1, h2c with prior knowledge and HTTP/1.1 upgraded to h2c.
 */
final class ConnectionInitializer extends ChannelInitializer<SocketChannel> {
    /** Longest request line, in bytes; a longer one is answered 414. */
    static final int MAX_INITIAL_LINE = 16 * 1024;
    /** Largest request header block, in bytes (Envoy's default is 60 KiB); larger is answered 431. */
    static final int MAX_HEADER_SIZE = 64 * 1024;
    /** Largest piece of body handed on at once, in bytes; bodies stream in pieces of at most this. */
    static final int MAX_CHUNK_SIZE = 64 * 1024;
    /** Largest body of an HTTP/1.1 request that asks to upgrade to h2c, in bytes. */
    static final int MAX_UPGRADE_BODY = 64 * 1024;

    private final ListenerContext context;
    private final ChannelGroup connections;
    private final Class<? extends SocketChannel> channelClass;
    private final long drainMillis;

    ConnectionInitializer(ListenerContext context, ChannelGroup connections, Class<? extends SocketChannel> channelClass, long drainMillis) {
        this.context = context;
        this.connections = connections;
        this.channelClass = channelClass;
        this.drainMillis = drainMillis;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        connections.add(ch);
        if (context.config().kind() == ListenerConfig.Kind.TCP) {
            ch.pipeline().addLast(new TcpProxyHandler(context, channelClass));
            return;
        }
        HttpServerCodec http1 = new HttpServerCodec(new HttpDecoderConfig()
                .setHeadersFactory(SizedHeaders.MESSAGES)
                .setTrailersFactory(SizedHeaders.TRAILERS)
                .setMaxInitialLineLength(MAX_INITIAL_LINE)
                .setMaxHeaderSize(MAX_HEADER_SIZE)
                .setMaxChunkSize(MAX_CHUNK_SIZE));
        HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(http1, protocol ->
                AsciiString.contentEquals("h2c", protocol) ? new Http2ServerUpgradeCodec(http2()) : null,
                MAX_UPGRADE_BODY);
        ch.pipeline().addLast(
                new CleartextHttp2ServerUpgradeHandler(http1, upgrade, new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(http2());
                    }
                }),
                new HttpProxyHandler(context));
    }

    private Http2ServerConnection http2() {
        return Http2ServerConnection.create(context, Http2Settings.defaultSettings().maxHeaderListSize(MAX_HEADER_SIZE), drainMillis);
    }
}
