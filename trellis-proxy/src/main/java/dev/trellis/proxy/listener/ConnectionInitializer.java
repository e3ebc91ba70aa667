package dev.trellis.proxy.listener;

import dev.trellis.proxy.config.ListenerConfig;
import dev.trellis.proxy.http.Http2ServerConnection;
import dev.trellis.proxy.http.HttpProxyHandler;
import dev.trellis.proxy.http.SizedHeaders;
import dev.trellis.proxy.http.codec.Http1Limits;
import dev.trellis.proxy.http.codec.Http1ServerCodec;
import dev.trellis.proxy.tcp.TcpProxyHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.AsciiString;
import java.util.List;

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
        Http1ServerCodec http1 = http1Codec();
        HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(http1, protocol ->
                AsciiString.contentEquals("h2c", protocol) ? new Http2ServerUpgradeCodec(http2()) : null,
                MAX_UPGRADE_BODY);
        HttpProxyHandler proxy = new HttpProxyHandler(context);
        ch.pipeline().addLast(new PrefaceSniffer(List.of(http1, upgrade, proxy), this::http2), http1, upgrade, proxy);
    }

    /** The HTTP/1.1 codec of a connection; the listener's heads are checked by the decoder as it reads them. */
    static Http1ServerCodec http1Codec() {
        return new Http1ServerCodec(new Http1Limits(MAX_INITIAL_LINE, MAX_HEADER_SIZE, MAX_CHUNK_SIZE),
                SizedHeaders.CHECKED_ELSEWHERE, SizedHeaders.TRAILERS);
    }

    private Http2ServerConnection http2() {
        return Http2ServerConnection.create(context, Http2Settings.defaultSettings().maxHeaderListSize(MAX_HEADER_SIZE), drainMillis);
    }
}
