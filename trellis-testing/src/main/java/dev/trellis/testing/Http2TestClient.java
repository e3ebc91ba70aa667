package dev.trellis.testing;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpClientUpgradeHandler;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2ClientUpgradeCodec;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A blocking cleartext HTTP/2 (h2c) client for tests: one connection, one request at a time, each
 * on a new stream, each response read whole.
 *
 * <p>{@link Mode#PRIOR_KNOWLEDGE} speaks HTTP/2 from the first byte. {@link Mode#UPGRADE} sends the
 * first request as HTTP/1.1 with {@code Upgrade: h2c}; if the server accepts, that response and
 * all later ones come over HTTP/2, otherwise the connection stays HTTP/1.1.
 * {@link Response#protocol()} says which happened.
 *
 * <pre>{@code
 * try (var h2 = Http2TestClient.connect("127.0.0.1", port, Mode.UPGRADE, Duration.ofSeconds(5))) {
 *     Response r = h2.get("/x", Map.of("x-a", "1"));
 *     assertThat(r.protocol()).isEqualTo("HTTP/2");
 * }
 * }</pre>
 */
public final class Http2TestClient implements AutoCloseable {

    /** How the connection comes to speak HTTP/2. */
    public enum Mode {
        /** The client starts with the HTTP/2 connection preface (RFC 9113 §3.3). */
        PRIOR_KNOWLEDGE,
        /** The first request is HTTP/1.1 offering {@code Upgrade: h2c} (RFC 7540 §3.2). */
        UPGRADE
    }

    /**
     * A whole response.
     *
     * @param protocol {@code HTTP/2}, or {@code HTTP/1.1} if an upgrade was refused
     * @param headers  lower-case names, repeated values joined with {@code ", "}
     * @param body     the body decoded as UTF-8
     */
    public record Response(int status, String protocol, Map<String, String> headers, String body) {

        /** The header's value, or {@code null} if absent. */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Largest response body the client reads, in bytes. */
    public static final int MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
    private static final int HTTP2_WINDOW = 1024 * 1024;

    private final EventLoopGroup group;
    private final Channel channel;
    private final String authority;
    private final Duration timeout;
    /** Takes HTTP/1.1 responses: the refused upgrade's and any after it. Null in prior-knowledge mode. */
    private final ResponseCollector http1Responses;
    /** The upgrade request's response, whichever protocol it comes back on. */
    private final CompletableFuture<Response> upgradeResponse = new CompletableFuture<>();
    private volatile boolean http2;
    private boolean upgradeSent;

    private Http2TestClient(EventLoopGroup group, String host, int port, Mode mode, Duration timeout)
            throws IOException {
        this.group = group;
        this.authority = host + ":" + port;
        this.timeout = timeout;
        this.http2 = mode == Mode.PRIOR_KNOWLEDGE;
        this.upgradeSent = mode == Mode.PRIOR_KNOWLEDGE;
        this.http1Responses = mode == Mode.UPGRADE ? new ResponseCollector(upgradeResponse) : null;
        this.channel = ClientChannels.connect(group, host, port, new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                if (mode == Mode.PRIOR_KNOWLEDGE) {
                    ch.pipeline().addLast(http2Codec(), new Http2MultiplexHandler(REFUSE_PUSHED_STREAMS));
                } else {
                    offerUpgrade(ch.pipeline());
                }
            }
        }, timeout);
    }

    /**
     * Opens the connection (for {@link Mode#UPGRADE}, the upgrade happens with the first request).
     *
     * @param timeout bound for the connect and, later, each request
     */
    public static Http2TestClient connect(String host, int port, Mode mode, Duration timeout) throws IOException {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(timeout, "timeout");
        EventLoopGroup group = ClientChannels.newGroup("h2-test-client");
        try {
            return new Http2TestClient(group, host, port, mode, timeout);
        } catch (IOException | RuntimeException e) {
            ClientChannels.shutdown(group);
            throw e;
        }
    }

    public Response get(String path, Map<String, String> headers) throws IOException {
        return send("GET", path, headers, new byte[0]);
    }

    public Response post(String path, Map<String, String> headers, String body) throws IOException {
        return send("POST", path, headers, body.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Sends one request and waits for its whole response.
     *
     * @param path    the request target, e.g. {@code /x?y=1}
     * @param headers extra request headers ({@code host} is set to the server's address)
     * @throws IOException if no response arrives within the timeout, the stream is reset, or the
     *                     connection fails
     */
    public synchronized Response send(String method, String path, Map<String, String> headers, byte[] body)
            throws IOException {
        String what = "response to " + method + " " + path;
        if (!channel.isActive()) {
            throw new IOException(what + ": the connection to " + authority + " is closed");
        }
        FullHttpRequest request = request(method, path, headers, body);
        if (!upgradeSent) {
            upgradeSent = true;
            // Through HttpClientUpgradeHandler, which adds the upgrade headers.
            write(channel, request, upgradeResponse);
            return ClientChannels.await(upgradeResponse, timeout, what);
        }
        CompletableFuture<Response> response = new CompletableFuture<>();
        if (http2) {
            Future<Http2StreamChannel> opened = new Http2StreamChannelBootstrap(channel)
                    .handler(streamPipeline(response))
                    .open()
                    .awaitUninterruptibly();
            if (!opened.isSuccess()) {
                request.release();
                throw new IOException(what + ": cannot open an HTTP/2 stream: " + opened.cause(), opened.cause());
            }
            write(opened.getNow(), request, response);
        } else {
            http1Responses.expect(response);
            write(channel, request, response);
        }
        return ClientChannels.await(response, timeout, what);
    }

    /**
     * Sends one request on a new stream and returns at once, so that many streams may be open on
     * this connection together. For a connection that speaks HTTP/2 already (prior knowledge, or
     * after an accepted upgrade). The result fails if the stream cannot be opened, is reset, or the
     * connection fails; the caller bounds the wait.
     */
    public CompletableFuture<Response> sendAsync(String method, String path, Map<String, String> headers, byte[] body) {
        if (!http2) {
            throw new IllegalStateException("sendAsync needs an HTTP/2 connection (prior knowledge, or after an upgrade)");
        }
        CompletableFuture<Response> response = new CompletableFuture<>();
        FullHttpRequest request = request(method, path, headers, body);
        new Http2StreamChannelBootstrap(channel)
                .handler(streamPipeline(response))
                .open()
                .addListener((Future<Http2StreamChannel> opened) -> {
                    if (opened.isSuccess()) {
                        write(opened.getNow(), request, response);
                    } else {
                        request.release();
                        response.completeExceptionally(new IOException(
                                "cannot open an HTTP/2 stream to " + authority + ": " + opened.cause(), opened.cause()));
                    }
                });
        return response;
    }

    private static void write(Channel channel, FullHttpRequest request, CompletableFuture<Response> response) {
        channel.writeAndFlush(request).addListener(written -> {
            if (!written.isSuccess()) {
                response.completeExceptionally(written.cause());
            }
        });
    }

    private FullHttpRequest request(String method, String path, Map<String, String> headers, byte[] body) {
        FullHttpRequest request = new DefaultFullHttpRequest(
                HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), path, Unpooled.wrappedBuffer(body));
        request.headers().set(HttpHeaderNames.HOST, authority);
        headers.forEach(request.headers()::add);
        boolean bodyExpected = !request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD);
        if (body.length > 0 || bodyExpected) {
            HttpUtil.setContentLength(request, body.length);
        }
        return request;
    }

    /**
     * HTTP/1.1 with an h2c upgrade offered on the first request. If the server switches, Netty
     * swaps in the HTTP/2 codec and stream 1 carries that request's response; otherwise HTTP/1.1
     * responses go to {@link #http1Responses}.
     */
    private void offerUpgrade(ChannelPipeline pipeline) {
        HttpClientCodec http1 = new HttpClientCodec();
        // Typed as Http2ConnectionHandler on purpose: the (Http2FrameCodec, ChannelHandler)
        // constructor would be chosen otherwise, and it installs the second handler *instead of*
        // the codec, so the multiplexer would find no codec in the pipeline.
        Http2ConnectionHandler connection = http2Codec();
        Http2MultiplexHandler streams =
                new Http2MultiplexHandler(REFUSE_PUSHED_STREAMS, streamPipeline(upgradeResponse));
        HttpObjectAggregator http1Aggregator = new HttpObjectAggregator(MAX_RESPONSE_BYTES);
        pipeline.addLast(
                http1,
                new HttpClientUpgradeHandler(http1, new Http2ClientUpgradeCodec(connection, streams), 64 * 1024),
                http1Aggregator,
                http1Responses,
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        if (evt == HttpClientUpgradeHandler.UpgradeEvent.UPGRADE_SUCCESSFUL) {
                            http2 = true;
                            // From now on only connection-level HTTP/2 frames would reach these.
                            // By instance: HttpClientUpgradeHandler is an HttpObjectAggregator too.
                            ctx.pipeline().remove(http1Aggregator);
                            ctx.pipeline().remove(http1Responses);
                            ctx.pipeline().remove(this);
                        }
                        ctx.fireUserEventTriggered(evt);
                    }
                });
    }

    /** One stream's pipeline: frames to HTTP objects, aggregated, handed to {@code response}. */
    private static ChannelHandler streamPipeline(CompletableFuture<Response> response) {
        return new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.pipeline().addLast(
                        new Http2StreamFrameToHttpObjectCodec(false),
                        new HttpObjectAggregator(MAX_RESPONSE_BYTES),
                        new ResponseCollector(response));
            }
        };
    }

    private static Http2FrameCodec http2Codec() {
        return Http2FrameCodecBuilder.forClient()
                .initialSettings(Http2Settings.defaultSettings().initialWindowSize(HTTP2_WINDOW).pushEnabled(false))
                .build();
    }

    /** Push is disabled in our settings; a server that opens a stream anyway sees it closed. */
    private static final ChannelHandler REFUSE_PUSHED_STREAMS = new ChannelInitializer<Channel>() {
        @Override
        protected void initChannel(Channel stream) {
            stream.close();
        }
    };

    /** Whether the connection speaks HTTP/2 now (after an accepted upgrade, or from the start). */
    public boolean isHttp2() {
        return http2;
    }

    /** Closes the connection and frees the client's thread. */
    @Override
    public void close() {
        try {
            channel.close().awaitUninterruptibly();
        } finally {
            ClientChannels.shutdown(group);
        }
    }
}
