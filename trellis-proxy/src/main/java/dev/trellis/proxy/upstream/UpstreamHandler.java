package dev.trellis.proxy.upstream;

import dev.trellis.proxy.time.IdleTimer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;

/**
 * The last handler of an upstream connection (HTTP/1.1) or stream (HTTP/2): passes what it reads
 * to the request it currently serves. An idle pooled connection has no sink; anything it reads
 * then is a protocol error and the connection is closed.
 *
 * <p>On a stream it also learns why the stream ended early: a {@code RST_STREAM} (its error code),
 * or a GOAWAY whose last stream id is below this stream. A stream the peer refused, or one above
 * the GOAWAY's last stream id, was not processed: the sink is told so with an
 * {@link UnprocessedRequestException}, and may send the request again.
 */
public final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    private final long maxRequests;
    private final long idleTimeoutNanos;
    /** The pool an HTTP/1.1 connection goes back to; null for a stream. */
    private final PoolKey pool;
    /** The lease each request after the first takes this connection by, made once. */
    private Lease reuse;
    private long requests;
    private ChannelHandlerContext ctx;
    /** Closes the connection after the idle timeout unused in the pool; null without one. */
    private IdleTimer idleTimer;
    private ResponseSink sink;
    private Throwable failure;
    private UnprocessedRequestException unprocessed;

    /** A handler for an HTTP/2 stream, which serves one request. */
    public UpstreamHandler() {
        this(null, 0, 0);
    }

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
    Lease reuseLease() {
        if (reuse == null) {
            reuse = new Lease(ctx.channel(), this, true, null);
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

    /** Netty's multiplexer passes a stream's RST_STREAM, and a GOAWAY above it, as events; the close follows. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2ResetFrame reset) {
            long code = reset.errorCode();
            if (code == Http2Error.REFUSED_STREAM.code()) {
                unprocessed = new UnprocessedRequestException("upstream refused the stream (REFUSED_STREAM)");
            } else {
                Http2Error error = Http2Error.valueOf(code);
                failure = new IOException("upstream reset the stream (" + (error != null ? error : "error code " + code) + ")");
            }
        } else if (evt instanceof Http2GoAwayFrame goAway) {
            // (The duplicate Netty passes for each stream does not carry the last stream id.)
            unprocessed = new UnprocessedRequestException("the stream is above the last stream id of the upstream's GOAWAY");
            goAway.release(); // a retained duplicate, for this stream only
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (idleTimer != null) {
            idleTimer.stop();
        }
        ResponseSink s = sink;
        sink = null;
        if (s != null) {
            s.onUpstreamClosed(unprocessed != null ? unprocessed : failure);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (refusedLocally(cause)) {
            // Netty would not open the stream (the peer's limit or a GOAWAY it sent): nothing left.
            unprocessed = new UnprocessedRequestException("the stream could not be opened: " + cause.getMessage());
        } else {
            failure = cause;
        }
        ctx.close();
    }

    private static boolean refusedLocally(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof Http2Exception e && e.error() == Http2Error.REFUSED_STREAM) {
                return true;
            }
        }
        return false;
    }
}
