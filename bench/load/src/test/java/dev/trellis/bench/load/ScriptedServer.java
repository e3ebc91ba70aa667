package dev.trellis.bench.load;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 server on 127.0.0.1 with one event-loop thread, which answers each request 200 at
 * once, except those a test picks by their number (1 for the first, over every connection) to
 * stall the whole server, answer with another status, drop the connection or never answer.
 */
final class ScriptedServer implements AutoCloseable {

    /** What the server does with one request. */
    sealed interface Act {
        /** Blocks the server's only thread for this long, then answers 200: every connection waits. */
        record Stall(long millis) implements Act {}

        record Status(int code) implements Act {}

        /** Closes the connection without an answer. */
        record Close() implements Act {}

        /** Never answers; the connection stays open. */
        record Ignore() implements Act {}
    }

    private final Map<Integer, Act> acts;
    private final AtomicInteger received = new AtomicInteger();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("scripted", true),
            NioIoHandler.newFactory());
    private final Channel channel;

    ScriptedServer(Map<Integer, Act> acts) {
        this.acts = Map.copyOf(acts);
        channel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new Handler());
                    }
                })
                .bind("127.0.0.1", 0)
                .syncUninterruptibly()
                .channel();
    }

    int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** How many requests reached the server. */
    int received() {
        return received.get();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Handler extends SimpleChannelInboundHandler<HttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpRequest request) throws InterruptedException {
            Act act = acts.get(received.incrementAndGet());
            switch (act) {
                case null -> answer(ctx, HttpResponseStatus.OK);
                case Act.Stall stall -> {
                    Thread.sleep(stall.millis());
                    answer(ctx, HttpResponseStatus.OK);
                }
                case Act.Status status -> answer(ctx, HttpResponseStatus.valueOf(status.code()));
                case Act.Close close -> ctx.close();
                case Act.Ignore ignore -> { }
            }
        }

        private void answer(ChannelHandlerContext ctx, HttpResponseStatus status) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer("ok\n", StandardCharsets.US_ASCII));
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 3);
            ctx.writeAndFlush(response);
        }
    }
}
