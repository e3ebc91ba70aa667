package dev.trellis.testing;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.util.AsciiString;
import java.util.List;
import java.util.function.Supplier;

/**
 * Builds the pipeline of one {@link HttpEchoServer} connection, which may speak HTTP/1.1, HTTP/1.1
 * upgraded to h2c ({@code Upgrade: h2c}), or HTTP/2 from its first byte (prior knowledge). Either
 * way each request ends in a fresh {@link HttpEchoHandler}: per connection for HTTP/1, per stream
 * for HTTP/2.
 */
final class EchoServerInitializer extends ChannelInitializer<SocketChannel> {

    /** Largest body an {@code Upgrade: h2c} request may carry (it is buffered); bigger ones stay HTTP/1.1. */
    static final int MAX_UPGRADE_BODY = 64 * 1024;
    /** HTTP/1 body chunk size, in bytes: fewer, larger chunks for big uploads. */
    private static final int HTTP1_CHUNK = 64 * 1024;
    private static final List<String> HTTP1_HANDLERS = List.of("h1-upgraded", "h1-continue", "h1-chunked", "h1-echo");

    private final Supplier<HttpEchoHandler> echoHandlers;
    private final Http2Streams http2;
    private final ChannelInitializer<Http2StreamChannel> streams = new ChannelInitializer<>() {
        @Override
        protected void initChannel(Http2StreamChannel stream) {
            ChannelHandler refuse = http2.refuser(stream.parent());
            if (refuse != null) {
                stream.pipeline().addLast(refuse);
                return;
            }
            stream.pipeline().addLast(
                    new Http2StreamFrameToHttpObjectCodec(true),
                    new HttpServerExpectContinueHandler(),
                    new ChunkedWriteHandler(),
                    echoHandlers.get());
        }
    };

    EchoServerInitializer(Supplier<HttpEchoHandler> echoHandlers, Http2Streams http2) {
        this.echoHandlers = echoHandlers;
        this.http2 = http2;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        HttpServerCodec http1 = new HttpServerCodec(new HttpDecoderConfig().setMaxChunkSize(HTTP1_CHUNK));
        HttpServerUpgradeHandler upgrade = new SmallBodyUpgradeHandler(http1, protocol ->
                AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
                        ? new Http2ServerUpgradeCodec(http2.codec(ch), new Http2MultiplexHandler(streams))
                        : null);
        ChannelHandler priorKnowledge = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel connection) {
                connection.pipeline().addLast(http2.codec(connection), new Http2MultiplexHandler(streams));
            }
        };
        ch.pipeline()
                .addLast(new CleartextHttp2ServerUpgradeHandler(http1, upgrade, priorKnowledge))
                .addLast(HTTP1_HANDLERS.get(0), DropHttp1WhenUpgraded.INSTANCE)
                .addLast(HTTP1_HANDLERS.get(1), new HttpServerExpectContinueHandler())
                .addLast(HTTP1_HANDLERS.get(2), new ChunkedWriteHandler())
                .addLast(HTTP1_HANDLERS.get(3), echoHandlers.get());
    }

    /** Once the connection speaks HTTP/2, its HTTP/1 handlers would only see connection-level frames. */
    @Sharable
    private static final class DropHttp1WhenUpgraded extends ChannelInboundHandlerAdapter {
        static final DropHttp1WhenUpgraded INSTANCE = new DropHttp1WhenUpgraded();

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof CleartextHttp2ServerUpgradeHandler.PriorKnowledgeUpgradeEvent
                    || evt instanceof HttpServerUpgradeHandler.UpgradeEvent) {
                ChannelPipeline pipeline = ctx.pipeline();
                for (String name : HTTP1_HANDLERS) {
                    if (pipeline.context(name) != null) {
                        pipeline.remove(name);
                    }
                }
            }
            ctx.fireUserEventTriggered(evt);
        }
    }

    /**
     * Upgrades only requests whose body is small: the upgrade buffers the body, and a large upload
     * that merely offers h2c is better served, streamed, over HTTP/1.1.
     */
    private static final class SmallBodyUpgradeHandler extends HttpServerUpgradeHandler {
        SmallBodyUpgradeHandler(SourceCodec http1, UpgradeCodecFactory codecs) {
            super(http1, codecs, MAX_UPGRADE_BODY);
        }

        @Override
        protected boolean shouldHandleUpgradeRequest(HttpRequest request) {
            return !HttpUtil.isTransferEncodingChunked(request)
                    && HttpUtil.getContentLength(request, 0L) <= MAX_UPGRADE_BODY;
        }

        /**
         * Leaves a body-less request without the {@code content-length: 0} that aggregation would
         * add, so the echo shows what the client sent.
         */
        @Override
        protected void finishAggregation(FullHttpMessage aggregated) throws Exception {
            if (aggregated.content().isReadable() || HttpUtil.isContentLengthSet(aggregated)) {
                super.finishAggregation(aggregated);
            }
        }
    }
}
