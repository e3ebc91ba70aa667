package dev.trellis.proxy.upstream;

import dev.trellis.proxy.balance.Endpoint;
import dev.trellis.proxy.config.Cluster;
import dev.trellis.proxy.config.UpstreamPolicy;
import dev.trellis.proxy.http.SizedHeaders;
import dev.trellis.proxy.http.codec.Http1ClientCodec;
import dev.trellis.proxy.http.codec.Http1Limits;
import dev.trellis.proxy.resilience.CircuitBreaker;
import dev.trellis.proxy.resilience.Permit;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Upstream connections, kept per event loop so a request and its upstream connection share one
 * thread and no lock: idle HTTP/1.1 connections by cluster and endpoint address, and for HTTP/2 an
 * {@link Http2Pool} per cluster and endpoint (connections, their stream slots, and the requests
 * waiting for one).
 *
 * <p>Each connection holds a permit of its cluster's circuit breaker ({@code maxConnections}),
 * given back when it closes. A request that finds none free waits, as in Envoy: an HTTP/1.1 one
 * for a connection of its endpoint on its loop to come free, or for any of the cluster's
 * connections to close; its wait is bounded by the cluster's {@code maxPendingRequests}, which the
 * caller holds.
 */
public final class UpstreamPools {
    /**
     * Idle HTTP/1.1 connections kept per endpoint and event loop; more are closed. Envoy and
     * HAProxy keep every one until its idle timeout: a cap below the concurrency a client drives
     * closes connections that the next requests must open again (at 256 client connections a cap
     * of 128 cost 40 % of the throughput), so this one only bounds a pathological burst.
     */
    static final int MAX_IDLE_PER_ENDPOINT = 4096;

    /**
     * Bounds of the HTTP/2 pools. Each applies per event loop and endpoint: a proxy with T event
     * loops may hold T times as much toward one endpoint. The cluster's circuit breaker bounds the
     * whole cluster on top of these.
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

    /** Status lines up to 8 KiB, response fields up to 64 KiB; bodies are handed on in pieces of at most 64 KiB. */
    private static final Http1Limits RESPONSE_LIMITS = new Http1Limits(8 * 1024, 64 * 1024, 64 * 1024);

    /** The codec of an upstream HTTP/1.1 connection; response heads are checked by its decoder as it reads them. */
    public static Http1ClientCodec http1Codec() {
        return new Http1ClientCodec(RESPONSE_LIMITS, SizedHeaders.CHECKED_ELSEWHERE, SizedHeaders.TRAILERS);
    }

    private final Class<? extends SocketChannel> channelClass;
    private final Limits limits;
    private final List<LoopPools> loops = new CopyOnWriteArrayList<>();
    /** HTTP/1.1 requests waiting for a connection permit, on every loop. */
    private final AtomicInteger waiting = new AtomicInteger();
    private final FastThreadLocal<LoopPools> pools = new FastThreadLocal<>() {
        @Override
        protected LoopPools initialValue() {
            LoopPools created = new LoopPools();
            loops.add(created);
            return created;
        }
    };

    private static final class LoopPools {
        EventLoop loop;
        final Map<PoolKey, ArrayDeque<UpstreamHandler>> idle = new HashMap<>();
        final Map<PoolKey, Http2Pool> http2 = new HashMap<>();
        final Map<PoolKey, ArrayDeque<Waiter>> waiters = new HashMap<>();
        boolean wakeScheduled;
    }

    /** An HTTP/1.1 request waiting for a connection permit of its cluster. */
    private record Waiter(Promise<Lease> promise, Cluster cluster, Endpoint endpoint) {}

    public UpstreamPools(Class<? extends SocketChannel> channelClass) {
        this(channelClass, Limits.DEFAULT);
    }

    public UpstreamPools(Class<? extends SocketChannel> channelClass, Limits limits) {
        this.channelClass = channelClass;
        this.limits = limits;
    }

    /**
     * An idle HTTP/1.1 connection of {@code cluster} to {@code endpoint} from the caller's event
     * loop, or null. The common case of a request: no allocation, no waiting.
     */
    public Lease idle(Cluster cluster, Endpoint endpoint) {
        ArrayDeque<UpstreamHandler> idle = pools.get().idle.get(key(cluster, endpoint));
        UpstreamHandler connection;
        while (idle != null && (connection = idle.pollLast()) != null) {
            if (connection.channel().isActive()) {
                return connection.reuseLease();
            }
        }
        return null;
    }

    /**
     * A new HTTP/1.1 connection of {@code cluster} to {@code endpoint}, or a stream of an HTTP/2
     * connection to it, made on {@code loop} (the caller's). The future may complete at once (an
     * HTTP/2 connection had a free stream), later (a new connection, a stream or a connection
     * permit freed up), or fail: with an {@link UpstreamOverflowException} when too many wait. A
     * caller that no longer wants it cancels the future: it then leaves the queue, and a
     * connection made for it goes to the idle pool.
     */
    public Future<Lease> open(EventLoop loop, Cluster cluster, Endpoint endpoint) {
        Promise<Lease> promise = loop.newPromise();
        PoolKey key = key(cluster, endpoint);
        if (cluster.http2()) {
            http2Pool(loop, key, cluster).acquire(promise);
            return promise;
        }
        Permit permit = connectionPermit(cluster);
        if (permit == null) {
            LoopPools here = pools.get();
            here.loop = loop;
            here.waiters.computeIfAbsent(key, k -> new ArrayDeque<>()).add(new Waiter(promise, cluster, endpoint));
            waiting.incrementAndGet();
            promise.addListener(f -> {
                if (f.isCancelled() && removeWaiter(here, key, promise)) {
                    waiting.decrementAndGet();
                }
            });
            return promise;
        }
        connectHttp1(loop, key, cluster, permit, promise);
        return promise;
    }

    /** The pool of {@code endpoint}'s connections for {@code cluster}; made once per endpoint object. */
    private static PoolKey key(Cluster cluster, Endpoint endpoint) {
        if (endpoint.poolKey() instanceof PoolKey key && key.cluster().equals(cluster.name())) {
            return key;
        }
        PoolKey key = new PoolKey(cluster.name(), endpoint.address());
        endpoint.poolKey(key);
        return key;
    }

    private void connectHttp1(EventLoop loop, PoolKey key, Cluster cluster, Permit permit, Promise<Lease> promise) {
        UpstreamPolicy policy = cluster.upstream();
        connect(loop, key, cluster, permit, new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(http1Codec(),
                                new UpstreamHandler(key, policy.maxRequestsPerConnection(), policy.idleTimeout().toNanos()));
                    }
                })
                .addListener((ChannelFuture f) -> {
                    if (!f.isSuccess()) {
                        promise.tryFailure(f.cause());
                        return;
                    }
                    Lease lease = new ConnectionLease(f.channel(), f.channel().pipeline().get(UpstreamHandler.class), false);
                    if (!promise.trySuccess(lease)) {
                        release(lease); // its request went away while it connected: keep it for the next
                    }
                });
    }

    /** A permit for one more connection of {@code cluster}, or null (counted) when it has its maximum. */
    Permit connectionPermit(Cluster cluster) {
        Permit permit = cluster.breaker().tryAcquire(CircuitBreaker.Resource.CONNECTIONS);
        if (permit.granted()) {
            return permit;
        }
        cluster.stats().connectionOverflow();
        return null;
    }

    private static boolean removeWaiter(LoopPools here, PoolKey key, Promise<Lease> promise) {
        ArrayDeque<Waiter> queue = here.waiters.get(key);
        if (queue == null || !queue.removeIf(w -> w.promise == promise)) {
            return false;
        }
        if (queue.isEmpty()) {
            here.waiters.remove(key);
        }
        return true;
    }

    private Http2Pool http2Pool(EventLoop loop, PoolKey key, Cluster cluster) {
        LoopPools here = pools.get();
        here.loop = loop;
        Http2Pool pool = here.http2.get(key);
        if (pool == null) {
            pool = new Http2Pool(this, loop, key, limits, here.http2);
            here.http2.put(key, pool);
        }
        pool.cluster(cluster);
        return pool;
    }

    /**
     * Returns an HTTP/1.1 connection that finished a request cleanly, to serve the next one: a
     * request waiting on this loop for this pool first. An HTTP/2 stream is closed instead; its
     * slot on the connection frees when it is.
     */
    public void release(Lease lease) {
        if (!(lease instanceof ConnectionLease http1)) {
            lease.close();
            return;
        }
        Channel channel = http1.channel();
        UpstreamHandler connection = http1.handler();
        connection.unbind();
        if (!channel.isActive() || connection.used()) {
            channel.close();
            return;
        }
        channel.config().setAutoRead(true);
        PoolKey key = connection.pool();
        LoopPools here = pools.get();
        ArrayDeque<Waiter> queue = here.waiters.get(key);
        Waiter next;
        while (queue != null && (next = queue.poll()) != null) {
            waiting.decrementAndGet();
            if (queue.isEmpty()) {
                here.waiters.remove(key);
            }
            if (next.promise.trySuccess(connection.reuseLease())) {
                return;
            }
        }
        if (waiting.get() > 0) {
            // Requests of another loop may wait for a connection permit this idle one holds: free it.
            channel.close();
            return;
        }
        ArrayDeque<UpstreamHandler> idle = here.idle.computeIfAbsent(key, k -> new ArrayDeque<>());
        if (idle.size() >= MAX_IDLE_PER_ENDPOINT) {
            channel.close();
        } else {
            idle.addLast(connection);
        }
    }

    /**
     * Opens a connection holding {@code permit}, given back when it closes, when requests of other
     * loops may be waiting for it.
     */
    ChannelFuture connect(EventLoop loop, PoolKey key, Cluster cluster, Permit permit, ChannelInitializer<Channel> init) {
        UpstreamPolicy policy = cluster.upstream();
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(channelClass)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, policy.connectTimeout().toMillis()))
                .handler(init);
        UpstreamPolicy.TcpKeepalive keepalive = policy.keepalive();
        if (keepalive != null) {
            bootstrap.option(ChannelOption.SO_KEEPALIVE, true);
            if (channelClass == EpollSocketChannel.class) {
                if (keepalive.probes() != null) {
                    bootstrap.option(EpollChannelOption.TCP_KEEPCNT, keepalive.probes());
                }
                if (keepalive.time() != null) {
                    bootstrap.option(EpollChannelOption.TCP_KEEPIDLE, (int) Math.max(1, keepalive.time().toSeconds()));
                }
                if (keepalive.interval() != null) {
                    bootstrap.option(EpollChannelOption.TCP_KEEPINTVL, (int) Math.max(1, keepalive.interval().toSeconds()));
                }
            }
        }
        ChannelFuture connecting = bootstrap.connect(key.address());
        connecting.channel().closeFuture().addListener(f -> {
            permit.release();
            wakeWaiters();
        });
        return connecting;
    }

    /** A connection closed somewhere: loops with requests waiting for a permit try again. */
    private void wakeWaiters() {
        if (waiting.get() == 0 && loops.stream().allMatch(l -> l.http2.isEmpty())) {
            return;
        }
        for (LoopPools pool : loops) {
            if (pool.loop != null && (!pool.waiters.isEmpty() || !pool.http2.isEmpty())) {
                pool.loop.execute(() -> serveWaiters(pool));
            }
        }
    }

    /** On the pool's own loop: hands out the connection permits that freed up, first come first served. */
    private void serveWaiters(LoopPools here) {
        for (var it = here.waiters.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<PoolKey, ArrayDeque<Waiter>> entry = it.next();
            ArrayDeque<Waiter> queue = entry.getValue();
            Waiter next;
            while ((next = queue.peek()) != null) {
                if (next.promise.isDone()) {
                    queue.poll();
                    continue;
                }
                Permit permit = next.cluster.breaker().tryAcquire(CircuitBreaker.Resource.CONNECTIONS);
                if (!permit.granted()) {
                    break;
                }
                queue.poll();
                waiting.decrementAndGet();
                connectHttp1(here.loop, entry.getKey(), next.cluster, permit, next.promise);
            }
            if (queue.isEmpty()) {
                it.remove();
            }
        }
        for (Http2Pool pool : List.copyOf(here.http2.values())) {
            pool.permitsFreed();
        }
    }
}
