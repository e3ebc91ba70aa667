package dev.trellis.testing;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.URI;

/**
 * A sample WebSocket backend: accepts the handshake on any path and echoes every message, text
 * ones prefixed with {@code "<name>: "} so the reply says which backend served it, binary ones
 * unchanged. Plain HTTP requests get 426 Upgrade Required.
 */
public final class WebSocketEchoServer extends SampleServer {

    /** Largest message (after reassembling fragments), in bytes. */
    public static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
    /** Largest handshake request body, in bytes (handshakes have none; this only bounds abuse). */
    private static final int MAX_HANDSHAKE_BYTES = 64 * 1024;

    /** A server on an ephemeral port; see {@link #port()} once started. */
    public WebSocketEchoServer(String name) {
        this(name, 0);
    }

    /** A server on {@code port}, or an ephemeral one if 0. */
    public WebSocketEchoServer(String name, int port) {
        super(name, port);
    }

    @Override
    public WebSocketEchoServer start() {
        super.start();
        return this;
    }

    /** {@code ws://127.0.0.1:<port><path>}. */
    public URI uri(String path) {
        return URI.create("ws://" + HOST + ":" + port() + path);
    }

    @Override
    ChannelHandler childHandler() {
        WebSocketServerProtocolConfig config = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath("/")
                .checkStartsWith(true) // with "/": every path
                .maxFramePayloadLength(MAX_MESSAGE_BYTES)
                .build();
        RequireWebSocketUpgrade requireUpgrade = new RequireWebSocketUpgrade(name());
        WebSocketEchoHandler echo = new WebSocketEchoHandler(name());
        return new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(
                        new HttpServerCodec(),
                        new HttpObjectAggregator(MAX_HANDSHAKE_BYTES),
                        requireUpgrade,
                        new WebSocketServerProtocolHandler(config),
                        new WebSocketFrameAggregator(MAX_MESSAGE_BYTES),
                        echo);
            }
        };
    }
}
