package dev.trellis.testing;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A blocking WebSocket client for tests: connect to {@code ws://host:port/path}, send a message,
 * get the next message back, each step bounded by the timeout given at connect.
 *
 * <pre>{@code
 * try (var ws = WebSocketTestClient.connect(server.uri("/ws"), Duration.ofSeconds(5))) {
 *     assertThat(ws.sendText("hi")).isEqualTo("chat-v1: hi");
 * }
 * }</pre>
 */
public final class WebSocketTestClient implements AutoCloseable {

    private static final int MAX_MESSAGE_BYTES = WebSocketEchoServer.MAX_MESSAGE_BYTES;

    private final EventLoopGroup group;
    private final Channel channel;
    private final WebSocketInbox inbox;
    private final Duration timeout;

    private WebSocketTestClient(EventLoopGroup group, Channel channel, WebSocketInbox inbox, Duration timeout) {
        this.group = group;
        this.channel = channel;
        this.inbox = inbox;
        this.timeout = timeout;
    }

    /**
     * Connects and completes the WebSocket handshake.
     *
     * @param uri     {@code ws://host[:port][/path]}
     * @param timeout bound for the connect, the handshake and, later, each reply
     * @throws IOException if the connection or the handshake fails or takes longer than {@code timeout}
     */
    public static WebSocketTestClient connect(URI uri, Duration timeout) throws IOException {
        Objects.requireNonNull(timeout, "timeout");
        if (!"ws".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("uri: '" + uri + "' (expected: ws://host[:port][/path])");
        }
        int port = uri.getPort() < 0 ? 80 : uri.getPort();
        WebSocketClientHandshaker handshaker = WebSocketClientHandshakerFactory.newHandshaker(
                uri, WebSocketVersion.V13, null, false, new DefaultHttpHeaders(), MAX_MESSAGE_BYTES);
        WebSocketInbox inbox = new WebSocketInbox();
        EventLoopGroup group = ClientChannels.newGroup("ws-test-client");
        try {
            ChannelInitializer<SocketChannel> pipeline = new ChannelInitializer<>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    ch.pipeline().addLast(
                            new HttpClientCodec(),
                            new HttpObjectAggregator(64 * 1024),
                            new WebSocketClientProtocolHandler(handshaker, true, true, timeout.toMillis()),
                            new WebSocketFrameAggregator(MAX_MESSAGE_BYTES),
                            inbox);
                }
            };
            Channel channel = ClientChannels.connect(group, uri.getHost(), port, pipeline, timeout);
            ClientChannels.await(inbox.handshake, timeout, "WebSocket handshake with " + uri);
            return new WebSocketTestClient(group, channel, inbox, timeout);
        } catch (IOException | RuntimeException e) {
            ClientChannels.shutdown(group);
            throw e;
        }
    }

    /** Connects, sends {@code text}, returns the reply and closes: the whole exchange in one call. */
    public static String echo(URI uri, String text, Duration timeout) throws IOException {
        try (WebSocketTestClient client = connect(uri, timeout)) {
            return client.sendText(text);
        }
    }

    /** Sends a text message and returns the next message, which must be text. */
    public String sendText(String text) throws IOException {
        send(new TextWebSocketFrame(text));
        return next(String.class);
    }

    /** Sends a binary message and returns the next message, which must be binary. */
    public byte[] sendBinary(byte[] bytes) throws IOException {
        send(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(bytes)));
        return next(byte[].class);
    }

    private void send(WebSocketFrame frame) {
        channel.writeAndFlush(frame).addListener(written -> {
            if (!written.isSuccess()) {
                inbox.messages.add(new IOException("cannot send: " + written.cause().getMessage(), written.cause()));
            }
        });
    }

    private <T> T next(Class<T> type) throws IOException {
        Object message;
        try {
            message = inbox.messages.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a WebSocket message");
        }
        if (message == null) {
            throw new SocketTimeoutException("no WebSocket message within " + timeout);
        }
        if (message instanceof IOException failure) {
            inbox.messages.add(failure); // Every later call fails the same way.
            throw new IOException("WebSocket connection ended: " + failure.getMessage(), failure);
        }
        if (!type.isInstance(message)) {
            throw new IOException("expected a " + (type == String.class ? "text" : "binary")
                    + " message, got a " + (message instanceof String ? "text" : "binary") + " one");
        }
        return type.cast(message);
    }

    /** Sends a close frame, waits briefly for the server to close, and frees the client's thread. */
    @Override
    public void close() {
        try {
            if (channel.isActive()) {
                channel.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE));
                channel.closeFuture().awaitUninterruptibly(Math.min(1_000, timeout.toMillis()));
            }
            channel.close().awaitUninterruptibly();
        } finally {
            ClientChannels.shutdown(group);
        }
    }
}
