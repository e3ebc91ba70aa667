package dev.trellis.proxy.upstream;

import dev.trellis.proxy.time.IdleTimer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of an upstream HTTP/1.1 connection: passes what it reads to the request it
 * currently serves. An idle pooled connection has no sink; anything it reads then is a protocol
 * error and the connection is closed.
 */
public final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    private final long maxRequests;
    private final long idleTimeoutNanos;
    /** The pool the connection goes back to. */
    private final PoolKey pool;
    /** The lease each request after the first takes this connection by, made once. */
    private ConnectionLease reuse;
    private long requests;
    private ChannelHandlerContext ctx;
    /** Closes the connection after the idle timeout unused in the pool; null without one. */
    private IdleTimer idleTimer;
    private ResponseSink sink;
    private Throwable failure;

    /**
     * @param maxRequests requests the connection serves before it is closed; 0 for no limit
     * @param idleTimeoutNanos how long it may stay unused in the pool before it is closed; 0 for no limit
     */
    UpstreamHandler(PoolKey pool, long maxRequests, long idleTimeoutNanos) {
        this.pool = pool;
        this.maxRequests = maxRequests;
        this.idleTimeoutNanos = idleTimeoutNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (idleTimeoutNanos > 0) {
            idleTimer = new IdleTimer(ctx.executor(), new IdleTimer.Watched() {
                @Override
                public boolean watching() {
                    return ctx.channel().isActive();
                }

                @Override
                public boolean inUse() {
                    return sink != null;
                }

                @Override
                public void idleTimedOut() {
                    ctx.close();
                }
            });
        }
    }

    /** Taken off its pipeline (the connection became a WebSocket tunnel): no longer pooled, never idle-closed. */
    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (idleTimer != null) {
            idleTimer.stop();
        }
    }

    public void bind(ResponseSink sink) {
        this.sink = sink;
        requests++;
    }

    PoolKey pool() {
        return pool;
    }

    Channel channel() {
        return ctx.channel();
    }

    /** The lease of this pooled connection for its next request: one object for all of them. */
    ConnectionLease reuseLease() {
        if (reuse == null) {
            reuse = new ConnectionLease(ctx.channel(), this, true);
        }
        return reuse;
    }

    /** Whether the connection has served as many requests as it may ({@code maxRequestsPerConnection}). */
    boolean used() {
        return maxRequests > 0 && requests >= maxRequests;
    }

    public void unbind() {
        this.sink = null;
        if (idleTimer != null) {
            idleTimer.start(idleTimeoutNanos); // counts from now; keeps running if it already was
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (sink != null) {
            sink.onUpstreamRead(msg);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (sink != null) {
            sink.onUpstreamReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (sink != null && ctx.channel().isWritable()) {
            sink.onUpstreamWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (idleTimer != null) {
            idleTimer.stop();
        }
        ResponseSink s = sink;
        sink = null;
        if (s != null) {
            s.onUpstreamClosed(failure);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failure = cause;
        ctx.close();
    }
}
