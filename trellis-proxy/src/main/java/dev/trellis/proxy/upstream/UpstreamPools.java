package dev.trellis.proxy.upstream;

import dev.trellis.proxy.balance.Endpoint;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Upstream connections, kept per event loop so a request and its upstream connection share one
 * thread and no lock: idle HTTP/1.1 connections by endpoint address, and for HTTP/2 an
 * {@link Http2Pool} per endpoint address (connections, their stream slots, and the requests
 * waiting for one).
 */
public final class UpstreamPools {
    /** Idle HTTP/1.1 connections kept per endpoint and event loop; more are closed. */
    static final int MAX_IDLE_PER_ENDPOINT = 128;
    /** Time allowed to establish a TCP connection, and for HTTP/2 then the peer's first SETTINGS, in milliseconds. */
    static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    /**
     * Bounds of the HTTP/2 pools. Each applies per event loop and endpoint: a proxy with T event
     * loops may hold T times as much toward one endpoint. The circuit breakers to come
     * ({@code Cluster.circuit_breakers}) will bound a whole cluster on top of these.
     *
     * @param http2ConnectionsPerEndpoint connections being made or taking streams (not those
     *     draining after a GOAWAY) at once
     * @param pendingPerEndpoint requests waiting for a stream, when every connection is at the
     *     peer's SETTINGS_MAX_CONCURRENT_STREAMS and no more may be made; past it a request is
     *     answered 503 at once
     */
    public record Limits(int http2ConnectionsPerEndpoint, int pendingPerEndpoint) {
        public static final Limits DEFAULT = new Limits(64, 1024);

        public Limits {
            if (http2ConnectionsPerEndpoint < 1) {
                throw new IllegalArgumentException(
                        "http2ConnectionsPerEndpoint: " + http2ConnectionsPerEndpoint + " (expected: 1 or more)");
            }
            if (pendingPerEndpoint < 0) {
                throw new IllegalArgumentException("pendingPerEndpoint: " + pendingPerEndpoint + " (expected: 0 or more)");
            }
        }
    }

    /** Response heads up to 64 KiB; bodies are handed on in pieces of at most 64 KiB. */
    private static final HttpDecoderConfig RESPONSE_DECODING =
            new HttpDecoderConfig().setMaxHeaderSize(64 * 1024).setMaxChunkSize(64 * 1024);

    /** The endpoint address a connection was made to: its key in the idle pool. */
    private static final AttributeKey<InetSocketAddress> ENDPOINT = AttributeKey.valueOf("trellis.endpoint");

    private final Class<? extends SocketChannel> channelClass;
    private final Limits limits;
    private final FastThreadLocal<LoopPools> pools = new FastThreadLocal<>() {
        @Override
        protected LoopPools initialValue() {
            return new LoopPools();
        }
    };

    private static final class LoopPools {
        final Map<InetSocketAddress, ArrayDeque<Channel>> idle = new HashMap<>();
        final Map<InetSocketAddress, Http2Pool> http2 = new HashMap<>();
    }

    public UpstreamPools(Class<? extends SocketChannel> channelClass) {
        this(channelClass, Limits.DEFAULT);
    }

    public UpstreamPools(Class<? extends SocketChannel> channelClass, Limits limits) {
        this.channelClass = channelClass;
        this.limits = limits;
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
     * A new HTTP/1.1 connection to {@code endpoint}, or a stream of an HTTP/2 connection to it, made
     * on {@code loop} (the caller's). For HTTP/2 the future may complete at once (a connection had a
     * free stream), later (a new connection, or a stream freed up), or fail with an
     * {@link UpstreamOverflowException}. A caller that no longer wants it cancels the future: it
     * then leaves the queue, and a connection made for it goes to the idle pool.
     */
    public Future<Lease> open(EventLoop loop, Endpoint endpoint, boolean http2) {
        Promise<Lease> promise = loop.newPromise();
        if (http2) {
            http2Pool(loop, endpoint.address()).acquire(promise);
            return promise;
        }
        connect(loop, endpoint.address(), new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(RESPONSE_DECODING, false, false), new UpstreamHandler());
                    }
                })
                .addListener((ChannelFuture f) -> {
                    if (!f.isSuccess()) {
                        promise.tryFailure(f.cause());
                        return;
                    }
                    Lease lease = new Lease(f.channel(), f.channel().pipeline().get(UpstreamHandler.class), false, false);
                    if (!promise.trySuccess(lease)) {
                        release(lease); // its request went away while it connected: keep it for the next
                    }
                });
        return promise;
    }

    private Http2Pool http2Pool(EventLoop loop, InetSocketAddress address) {
        Map<InetSocketAddress, Http2Pool> http2 = pools.get().http2;
        Http2Pool pool = http2.get(address);
        if (pool == null) {
            pool = new Http2Pool(this, loop, address, limits, http2);
            http2.put(address, pool);
        }
        return pool;
    }

    /**
     * Returns an HTTP/1.1 connection that finished a request cleanly, to serve the next one. An
     * HTTP/2 stream is closed instead; its slot on the connection frees when it is.
     */
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

    ChannelFuture connect(EventLoop loop, InetSocketAddress address, ChannelInitializer<Channel> init) {
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
