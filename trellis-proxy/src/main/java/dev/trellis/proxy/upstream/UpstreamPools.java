package dev.trellis.proxy.upstream;

import dev.trellis.proxy.balance.Endpoint;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Upstream connections, kept per event loop so a request and its upstream connection share one
 * thread and no lock: idle HTTP/1.1 connections by endpoint address, and one shared HTTP/2
 * connection per endpoint address.
 */
public final class UpstreamPools {
    /** Idle HTTP/1.1 connections kept per endpoint and event loop; more are closed. */
    static final int MAX_IDLE_PER_ENDPOINT = 128;
    /** Time allowed to establish a TCP connection, in milliseconds. */
    static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    /** Response heads up to 64 KiB; bodies are handed on in pieces of at most 64 KiB. */
    private static final HttpDecoderConfig RESPONSE_DECODING =
            new HttpDecoderConfig().setMaxHeaderSize(64 * 1024).setMaxChunkSize(64 * 1024);

    /** The endpoint address a connection was made to: its key in the idle pool. */
    private static final AttributeKey<InetSocketAddress> ENDPOINT = AttributeKey.valueOf("trellis.endpoint");

    private final Class<? extends SocketChannel> channelClass;
    private final FastThreadLocal<LoopPools> pools = new FastThreadLocal<>() {
        @Override
        protected LoopPools initialValue() {
            return new LoopPools();
        }
    };

    private static final class LoopPools {
        final Map<InetSocketAddress, ArrayDeque<Channel>> idle = new HashMap<>();
        final Map<InetSocketAddress, ChannelFuture> http2 = new HashMap<>();
    }

    public UpstreamPools(Class<? extends SocketChannel> channelClass) {
        this.channelClass = channelClass;
    }

    /**
     * An idle HTTP/1.1 connection to {@code endpoint} from the caller's event loop, or null. The
     * common case of a request: no allocation, no waiting.
     */
    public Lease idle(Endpoint endpoint) {
        ArrayDeque<Channel> idle = pools.get().idle.get(endpoint.address());
        Channel channel;
        while (idle != null && (channel = idle.pollLast()) != null) {
            if (channel.isActive()) {
                return new Lease(channel, channel.pipeline().get(UpstreamHandler.class), true, false);
            }
        }
        return null;
    }

    /**
     * A new HTTP/1.1 connection to {@code endpoint}, or a new stream of the shared HTTP/2
     * connection to it, made on {@code loop} (the caller's).
     */
    public Future<Lease> open(EventLoop loop, Endpoint endpoint, boolean http2) {
        Promise<Lease> promise = loop.newPromise();
        if (http2) {
            acquireStream(loop, pools.get(), endpoint.address(), promise);
            return promise;
        }
        connect(loop, endpoint.address(), new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(RESPONSE_DECODING, false, false), new UpstreamHandler());
                    }
                })
                .addListener((ChannelFuture f) -> {
                    if (f.isSuccess()) {
                        promise.setSuccess(new Lease(f.channel(), f.channel().pipeline().get(UpstreamHandler.class), false, false));
                    } else {
                        promise.setFailure(f.cause());
                    }
                });
        return promise;
    }

    /** Returns an HTTP/1.1 connection that finished a request cleanly, to serve the next one. */
    public void release(Lease lease) {
        Channel channel = lease.channel();
        lease.handler().unbind();
        if (lease.multiplexed()) {
            channel.close();
            return;
        }
        if (!channel.isActive()) {
            return;
        }
        channel.config().setAutoRead(true);
        ArrayDeque<Channel> idle = pools.get().idle.computeIfAbsent(
                channel.attr(ENDPOINT).get(), k -> new ArrayDeque<>());
        if (idle.size() >= MAX_IDLE_PER_ENDPOINT) {
            channel.close();
        } else {
            idle.addLast(channel);
        }
    }

    private void acquireStream(EventLoop loop, LoopPools local, InetSocketAddress address, Promise<Lease> promise) {
        ChannelFuture connection = local.http2.get(address);
        if (connection == null || (connection.isDone() && !connection.channel().isActive())) {
            connection = connect(loop, address, new ChannelInitializer<>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(
                            Http2FrameCodecBuilder.forClient()
                                    .initialSettings(Http2Settings.defaultSettings().pushEnabled(false))
                                    .build(),
                            new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()),
                            new GoAwayHandler(local.http2, address));
                }
            });
            ChannelFuture made = connection;
            local.http2.put(address, made);
            made.channel().closeFuture().addListener(f -> local.http2.remove(address, made));
        }
        connection.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                promise.tryFailure(f.cause());
                return;
            }
            UpstreamHandler handler = new UpstreamHandler();
            new Http2StreamChannelBootstrap(f.channel())
                    .handler(new ChannelInitializer<Http2StreamChannel>() {
                        @Override
                        protected void initChannel(Http2StreamChannel ch) {
                            ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false), handler);
                        }
                    })
                    .open()
                    .addListener((Future<Http2StreamChannel> s) -> {
                        if (s.isSuccess()) {
                            promise.trySuccess(new Lease(s.getNow(), handler, false, true));
                        } else {
                            promise.tryFailure(s.cause());
                        }
                    });
        });
    }

    /**
     * Takes a connection whose server sent GOAWAY out of the pool: it finishes its open streams,
     * and new requests get a new connection.
     */
    private static final class GoAwayHandler extends ChannelInboundHandlerAdapter {
        private final Map<InetSocketAddress, ChannelFuture> pool;
        private final InetSocketAddress address;

        GoAwayHandler(Map<InetSocketAddress, ChannelFuture> pool, InetSocketAddress address) {
            this.pool = pool;
            this.address = address;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2GoAwayFrame) {
                pool.computeIfPresent(address, (k, connection) -> connection.channel() == ctx.channel() ? null : connection);
            }
            ReferenceCountUtil.release(msg); // connection-level frames end here
        }
    }

    private ChannelFuture connect(EventLoop loop, InetSocketAddress address, ChannelInitializer<Channel> init) {
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(channelClass)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                .attr(ENDPOINT, address)
                .handler(init);
        return bootstrap.connect(address);
    }
}
